import DICOMNetwork
@testable import LifeboatServer
import Testing

/// The configuration file: the example is complete and reads back as the defaults, and
/// every mistake is named.
@Suite struct ConfigurationTests {
    @Test func theExampleReadsBackAsTheDefaults() throws {
        #expect(try Configuration.parse(Configuration.example, source: "example") == Configuration())
    }

    @Test func theExampleHasEveryKeyWithItsHelp() {
        for key in Configuration.keys {
            #expect(Configuration.example.contains("\n\(key.name): "), "\(key.name)")
            #expect(Configuration.example.contains("# \(key.help)"), "\(key.name)")
        }
    }

    @Test func valuesAreRead() throws {
        let configuration = try Configuration.parse("""
            ae-title: ARCHIVE
            dicom-port: 104
            data: /var/lib/lifeboat
            max-pdu: 65536
            max-associations: 8
            any-called-ae-title: yes
            case-insensitive-names: no
            dicom-nodes:
              - PACS@10.0.0.5:104
              - WS1@ws1.example.org:11112
            """, source: "test")
        var expected = Configuration()
        expected.aeTitle = "ARCHIVE"
        expected.dicomPort = 104
        expected.data = "/var/lib/lifeboat"
        expected.maxPDU = 65536
        expected.maxAssociations = 8
        expected.anyCalledAETitle = true
        expected.caseInsensitiveNames = false
        expected.dicomNodes = [DICOMNode(aeTitle: "PACS", host: "10.0.0.5", port: 104), DICOMNode(aeTitle: "WS1", host: "ws1.example.org", port: 11112)]
        #expect(configuration == expected)
        // One string of nodes separated by commas says the same; written out, it reads back.
        #expect(try Configuration.parse("dicom-nodes: PACS@10.0.0.5:104, WS1@ws1.example.org:11112", source: "test") == {
            var nodes = Configuration()
            nodes.dicomNodes = expected.dicomNodes
            return nodes
        }())
        #expect(try Configuration.parse("dicom-nodes: \(Configuration.keys.first { $0.name == "dicom-nodes" }!.write(expected))", source: "test").dicomNodes
                == expected.dicomNodes)
    }

    @Test func badNodesAreNamed() {
        #expect(throws: ConfigurationError("test: dicom-nodes (line 1): \"PACS@10.0.0.5\" is not AE@host:port (an AE title of 1 to 16 characters, a host, a port from 1 to 65535)")) {
            try Configuration.parse("dicom-nodes: [PACS@10.0.0.5]", source: "test")
        }
        #expect(throws: ConfigurationError("test: dicom-nodes (line 1): PACS is listed twice")) {
            try Configuration.parse("dicom-nodes: [PACS@a:104, PACS@b:104]", source: "test")
        }
        #expect(throws: ConfigurationError.self) { try Configuration.parse("dicom-nodes: [WAYTOOLONGAETITLE17@a:104]", source: "test") }
        #expect(throws: ConfigurationError.self) { try Configuration.parse("dicom-nodes: [PACS@a:70000]", source: "test") }
    }

    @Test func anEmptyFileIsAllDefaults() throws {
        #expect(try Configuration.parse("", source: "empty") == Configuration())
        #expect(try Configuration.parse("# nothing set\n", source: "comments") == Configuration())
    }

    @Test func mistakesAreNamedWithTheirLine() {
        #expect(throws: ConfigurationError("test: unknown key \"dicom_port\" (line 2); the keys are ae-title, dicom-port, http-port, cors-allow-origin, data, max-pdu, max-associations, any-called-ae-title, case-insensitive-names, dicom-nodes")) {
            try Configuration.parse("ae-title: A\ndicom_port: 104\n", source: "test")
        }
        #expect(throws: ConfigurationError("test: dicom-port (line 1): expected a whole number from 1 to 65535")) {
            try Configuration.parse("dicom-port: 70000\n", source: "test")
        }
        #expect(throws: ConfigurationError("test: any-called-ae-title (line 1): expected true or false")) {
            try Configuration.parse("any-called-ae-title: maybe\n", source: "test")
        }
        #expect(throws: ConfigurationError("test: expected keys and values at the top level")) {
            try Configuration.parse("- a\n- b\n", source: "test")
        }
        #expect(throws: ConfigurationError.self) { try Configuration.parse("ae-title: [unclosed\n", source: "test") }
    }
}
