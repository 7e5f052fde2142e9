import Archive
import Foundation
import LifeboatServer

/// The settings a command on an existing archive works with: the configuration file's (when
/// given), its data directory replaced by `--data`; that directory must hold a catalog.
func archiveSettings(config: String?, data: String?) throws -> Configuration {
    var settings: Configuration
    do {
        settings = try config.map { path throws(ConfigurationError) in try Configuration.load(path: path) } ?? Configuration()
    } catch {
        throw CLIError(error.description)
    }
    if let data { settings.data = data }
    guard FileManager.default.fileExists(atPath: LocalArchive.catalogPath(in: settings.data)) else {
        throw CLIError("\(settings.data): no catalog here (give --data, or --config with data: in it)")
    }
    return settings
}
