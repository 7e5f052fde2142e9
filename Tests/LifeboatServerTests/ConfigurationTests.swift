import Archive
import DICOMNetwork
import Foundation
@testable import LifeboatServer
import Security
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
            for line in key.help.split(separator: "\n") { #expect(Configuration.example.contains("# \(line)\n"), "\(key.name)") }
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

    @Test func replicationTargetsAreRead() throws {
        let configuration = try Configuration.parse("""
            replication-targets:
              - name: offsite
                type: s3
                endpoint: https://s3.eu-west-1.amazonaws.com
                bucket: archive
                region: eu-west-1
                addressing: virtual-hosted
                prefix: site-a
                encryption: aws:kms
                kms-key-id: alias/lifeboat
                object-lock: compliance
                object-lock-days: 3650
                access-key-id-env: OFFSITE_KEY
                secret-access-key-env: OFFSITE_SECRET
                concurrency: 16
              - {name: nas, type: filesystem, path: /mnt/nas}
              - {name: pacs, type: dicom, node: PACS@10.0.0.5:104}
            """, source: "test")
        let targets = configuration.replicationTargets
        #expect(targets.map(\.name) == ["offsite", "nas", "pacs"])
        guard case .s3(let s3) = targets[0].kind else { Issue.record("not s3"); return }
        #expect(s3.bucket == "archive" && s3.region == "eu-west-1" && s3.addressing == .virtualHosted && s3.prefix == "site-a")
        #expect(s3.encryption == "aws:kms" && s3.kmsKeyID == "alias/lifeboat" && s3.objectLock == .compliance && s3.objectLockDays == 3650)
        #expect(s3.accessKeyIDVariable == "OFFSITE_KEY" && s3.secretAccessKeyVariable == "OFFSITE_SECRET")
        #expect(targets[0].concurrency == 16)
        #expect(targets[1].kind == .fileSystem(path: "/mnt/nas") && targets[1].concurrency == 4)
        #expect(targets[2].kind == .dicom(DICOMNode("PACS@10.0.0.5:104")!))
        #expect(targets[2].concurrency == 1, "one association to a PACS unless told otherwise")
    }

    @Test func dicomPeersAreReadAndTheirMistakesNamed() throws {
        let configuration = try Configuration.parse("""
            dicom-nodes: [PACS@10.0.0.5:104, WS1@10.0.0.9:11112]
            dicom-strict: true
            dicom-peers:
              - {ae: PACS, address: 10.0.0.5, rights: [store, query, retrieve], move-destinations: [PACS], port: 104}
              - {ae: CT1}
            """, source: "test")
        #expect(configuration.dicomStrict)
        #expect(configuration.dicomPeers == [DICOMAccess.Peer(aeTitle: "PACS", address: "10.0.0.5", rights: [.store, .query, .retrieve], moveDestinations: ["PACS"],
                                                              port: 104),
                                             DICOMAccess.Peer(aeTitle: "CT1")])
        let written = Configuration.example.replacingOccurrences(of: "dicom-peers: []", with: "dicom-peers: [\(DICOMPeerSpec.summary(configuration.dicomPeers[0]))]")
            .replacingOccurrences(of: "dicom-nodes: []", with: "dicom-nodes: [PACS@10.0.0.5:104]")
        #expect(try Configuration.parse(written, source: "x").dicomPeers == [configuration.dicomPeers[0]], "a peer's summary reads back as the peer")
        func message(_ yaml: String) -> String? {
            do {
                _ = try Configuration.parse(yaml, source: "test")
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message("dicom-peers: [{ae: CT1, rights: [store, delete]}]")?.contains("\"delete\" (line 1) is not a right: store, query or retrieve") == true)
        #expect(message("dicom-peers: [{address: 10.0.0.1}]")?.contains("needs an ae") == true)
        #expect(message("dicom-peers: [{ae: CT1}, {ae: CT1}]")?.hasSuffix("CT1 is listed twice in dicom-peers") == true)
        #expect(message("dicom-peers: [{ae: CT1, aet: CT2}]")?.contains("unknown peer key \"aet\"") == true)
        #expect(message("dicom-peers: [{ae: CT1, port: 70000}]")?.contains("a peer's port (line 1) is not a port number from 1 to 65535") == true)
        #expect(message("dicom-peers: [{ae: WS, rights: [retrieve], move-destinations: [NOWHERE]}]") ==
            "test: dicom-peers: WS may move to NOWHERE, which is not in dicom-nodes")
    }

    @Test func replicationTargetMistakesAreNamed() {
        func message(_ yaml: String) -> String? {
            do {
                _ = try Configuration.parse("replication-targets:\n" + yaml, source: "test")
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message("  - {name: a, type: s3, endpoint: http://x}") == "test: replication-targets (line 2): target a: bucket is required for type s3")
        #expect(message("  - {name: a, type: ftp}") == "test: replication-targets (line 2): target a: type must be s3, filesystem, dicom or lifeboat")
        #expect(message("  - {name: a, type: filesystem, path: /x, bucket: b}")?.contains("unknown key \"bucket\" for type filesystem") == true)
        #expect(message("  - {name: a, type: filesystem, path: /x}\n  - {name: a, type: filesystem, path: /y}")?.hasSuffix("two targets are named \"a\"") == true)
        #expect(message("  - {name: a, type: s3, endpoint: http://x, bucket: b, object-lock: compliance}")?.hasSuffix("object-lock needs object-lock-days") == true)
        #expect(message("  - {name: a, type: dicom, node: PACS}")?.hasSuffix("node \"PACS\" is not AE@host:port") == true)
        #expect(message("  - {type: filesystem, path: /x}")?.contains("needs a name") == true)
    }

    @Test func theQuorumCannotExceedTheSyncTargets() throws {
        let two = "replication-targets:\n  - {name: a, type: filesystem, path: /a}\n  - {name: b, type: filesystem, path: /b, sync: false}\n"
        let configuration = try Configuration.parse(two + "replication-quorum: 1\nreplication-sync-timeout: 5\nreplication-sync-policy: accept\n", source: "test")
        #expect(configuration.replicationQuorum == 1 && configuration.replicationSyncTimeout == 5 && configuration.replicationSyncPolicy == .accept)
        #expect(configuration.replicationTargets.map(\.sync) == [true, false])
        #expect(throws: ConfigurationError("test: replication-quorum is 2 but only 1 target can count toward it")) {
            try Configuration.parse(two + "replication-quorum: 2\n", source: "test")
        }
        #expect(throws: ConfigurationError("test: replication-sync-policy (line 1): expected fail or accept")) {
            try Configuration.parse("replication-sync-policy: maybe\n", source: "test")
        }
    }

    @Test func anS3TargetNeedsItsKeysInTheEnvironment() throws {
        let spec = try #require(try Configuration.parse("replication-targets: [{name: a, type: s3, endpoint: http://127.0.0.1:9000, bucket: b}]",
                                                        source: "test").replicationTargets.first)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let archive = try LocalArchive(root: root)
        let title = try #require(AETitle(validating: "LIFEBOAT"))
        #expect(throws: ConfigurationError("target a: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")) {
            try spec.makeTarget(archive: archive, aeTitle: title, environment: [:])
        }
        #expect(try spec.makeTarget(archive: archive, aeTitle: title, environment: ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "s"]).name == "a")
    }

    @Test func anEmptyFileIsAllDefaults() throws {
        #expect(try Configuration.parse("", source: "empty") == Configuration())
        #expect(try Configuration.parse("# nothing set\n", source: "comments") == Configuration())
    }

    @Test func mistakesAreNamedWithTheirLine() {
        #expect(throws: ConfigurationError("test: unknown key \"dicom_port\" (line 2); the keys are ae-title, bind-address, dicom-port, http-port, http-idle-seconds, cors-allow-origin, data, max-pdu, max-associations, any-called-ae-title, case-insensitive-names, dicom-nodes, replication-targets, replication-quorum, replication-sync-timeout, replication-sync-policy, catalog-snapshot-hours, change-log-seconds, accept-replication, replication-token-env, dicom-peers, dicom-strict, http-basic-auth, audit-head-minutes, dicom-tls-port, https, tls-certificate, tls-key, tls-client-ca, syslog, syslog-ca, scrub-days, scrub-max-mb-per-second, scrub-read-back-percent, pacs-watch, pacs-watch-seconds, pacs-down-after, downtime-auto, alert-webhook, alert-smtp, alert-email-from, alert-email-to, alert-syslog, alerts-per-hour, recovery-point-minutes, disk-free-percent, drill-days, drill-studies, drill-newest-day-every")) {
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

    @Test func alertChannelsAreCheckedAsTheyAreRead() throws {
        let alerts = try Configuration.parse("alert-smtp: mail.hospital.org:25\nalert-email-to: [pacs-admin@hospital.org]\nalert-webhook: https://chat.example/hook\n",
                                             source: "test")
        #expect(alerts.alertEmailTo == ["pacs-admin@hospital.org"] && alerts.alertWebhook == "https://chat.example/hook")
        #expect(throws: ConfigurationError("test: alert-smtp is set but alert-email-to names no one")) {
            try Configuration.parse("alert-smtp: mail.hospital.org:25\n", source: "test")
        }
        #expect(throws: ConfigurationError("test: alert-webhook (line 1): expected an http:// or https:// URL")) {
            try Configuration.parse("alert-webhook: chat.example/hook\n", source: "test")
        }
        #expect(throws: ConfigurationError("test: alert-syslog needs a syslog collector (the syslog key)")) {
            try Configuration.parse("alert-syslog: true\n", source: "test")
        }
    }

    @Test func theWatchedNodesMustBeKnownNodes() throws {
        let watched = try Configuration.parse("dicom-nodes: [PACS@10.0.0.5:104]\npacs-watch: [PACS]\npacs-watch-seconds: 10\n", source: "test")
        #expect(watched.pacsWatch == ["PACS"] && watched.pacsWatchSeconds == 10 && watched.pacsDownAfter == 3 && watched.downtimeAuto)
        #expect(throws: ConfigurationError("test: pacs-watch: VNA is not in dicom-nodes")) {
            try Configuration.parse("dicom-nodes: [PACS@10.0.0.5:104]\npacs-watch: [VNA]\n", source: "test")
        }
        #expect(throws: ConfigurationError("test: pacs-watch (line 1): \"THIS-TITLE-IS-TOO-LONG\" is not an AE title (1 to 16 characters)")) {
            try Configuration.parse("pacs-watch: [THIS-TITLE-IS-TOO-LONG]\n", source: "test")
        }
    }
}
