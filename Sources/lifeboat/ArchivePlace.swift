import ArgumentParser
import Archive
import Foundation
import LifeboatServer

/// Where a command on an existing archive finds it: the configuration file (its data
/// directory, targets and nodes) and `--data`, which replaces that directory. Declared once,
/// for every command that takes both.
struct ArchivePlace: ParsableArguments {
    @Option(help: "The configuration file (its data directory, replication targets, DICOM nodes and AE title).")
    var config: String?

    @Option(help: "The data directory (the configuration's, when --config is given).")
    var data: String?

    /// The configuration file's settings (when given), with its data directory replaced by
    /// `--data`; that directory must hold a catalog.
    func settings() throws -> Configuration {
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
}

/// The data directory of a command that needs no configuration file.
struct DataDirectory: ParsableArguments {
    @Option(help: "The data directory.")
    var data = "lifeboat-data"
}
