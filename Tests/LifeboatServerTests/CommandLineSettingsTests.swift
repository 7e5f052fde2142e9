import DICOMNetwork
@testable import LifeboatServer
import Testing

/// `lifeboat serve`'s options are the file's keys, read by the same code: the same values,
/// the same ranges and the same mistakes named, whichever way a setting is given.
@Suite struct CommandLineSettingsTests {
    func settings(_ arguments: [String]) throws(ConfigurationError) -> Configuration {
        var settings = Configuration()
        try settings.apply(commandLine: arguments)
        return settings
    }

    @Test func theCommandLineSaysWhatTheFileSays() throws {
        let file = try Configuration.parse("""
            ae-title: ARCHIVE
            dicom-port: 104
            any-called-ae-title: yes
            case-insensitive-names: no
            dicom-nodes: [PACS@10.0.0.5:104, WS1@ws1.example.org:11112]
            alert-email-to: [a@hospital.example, b@hospital.example]
            replication-sync-policy: accept
            """, source: "test")
        let line = try settings(["--ae-title", "ARCHIVE", "--dicom-port=104", "--any-called-ae-title", "--case-insensitive-names", "false",
                                 "--dicom-nodes", "PACS@10.0.0.5:104", "--dicom-nodes", "WS1@ws1.example.org:11112",
                                 "--alert-email-to", "a@hospital.example,b@hospital.example", "--replication-sync-policy", "accept"])
        #expect(line == file)
        // A flag standing alone before another option is true; the last of a repeated value wins.
        let flags = try settings(["--dicom-strict", "--dicom-port", "1", "--dicom-port", "2", "--https", "off"])
        #expect(flags.dicomStrict && flags.dicomPort == 2 && !flags.https)
    }

    @Test func mistakesAreNamedAsInTheFile() {
        #expect(throws: ConfigurationError("--dicom-port: expected a whole number from 1 to 65535")) { try settings(["--dicom-port", "0"]) }
        #expect(throws: ConfigurationError("--scrub-days: expected a whole number from 0 to 3650")) { try settings(["--scrub-days", "9999"]) }
        #expect(throws: ConfigurationError("unknown option --dicom-prot")) { try settings(["--dicom-prot", "104"]) }
        #expect(throws: ConfigurationError("--ae-title needs a value")) { try settings(["--ae-title"]) }
        #expect(throws: ConfigurationError("unexpected argument \"104\"")) { try settings(["104"]) }
        #expect(throws: ConfigurationError("replication-targets is set in the --config file only")) { try settings(["--replication-targets", "nas"]) }
        #expect(throws: ConfigurationError.self) { try settings(["--syslog", "http://collector:514"]) }
        #expect(throws: ConfigurationError.self) { try settings(["--dicom-nodes", "PACS@10.0.0.5"]) }
    }

    @Test func theHelpListsEveryKeyTheCommandLineTakes() {
        let help = Configuration.commandLineHelp
        for key in Configuration.keys {
            #expect(help.contains("  --\(key.name)") != key.fileOnly, "\(key.name)")
        }
        #expect(help.split(separator: "\n").allSatisfy { $0.count <= 80 })
    }
}
