import Archive
@testable import Continuity
import Foundation
import Protection
import Security
import TestSupport
import Synchronization
import Testing

/// Alerts to a real webhook receiver, a real SMTP server (aiosmtpd) and a UDP syslog
/// collector: each incident told once, its end once, within the rate limit; and the checks
/// that raise them, against a real catalog and audit log.
@Suite(.serialized) struct AlertTests {
    let site: TestArchive

    init() throws { site = try TestArchive() }

    static let pacsDown = Alert(.pacsDown, subject: "PACS", severity: .critical, summary: "PACS is down", detail: "PACS@10.0.0.5:104 unreachable")

    @Test func anIncidentIsToldOnceOnEveryChannelAndItsEndOnce() async throws {
        let webhook = try await AlertSink(.webhook)
        let mail = try await AlertSink(.smtp)
        let syslog = try await AlertSink(.syslog)
        let exporter = SyslogExporter(destination: SyslogDestination("udp://127.0.0.1:\(syslog.port)")!, auditSource: "LIFEBOAT")
        let exporting = Task { await exporter.run() }
        defer { exporting.cancel() }
        let alerter = Alerter(store: try SQLiteAlertStore(pool: site.archive.catalog.pool), source: "LIFEBOAT", channels: [
            WebhookNotifier(url: "http://127.0.0.1:\(webhook.port)/hooks/lifeboat"),
            SMTPNotifier(host: "127.0.0.1", port: mail.port, from: "lifeboat@hospital.example", to: ["pacs-admin@hospital.example", "it-oncall@hospital.example"]),
            SyslogNotifier(destination: "\(exporter.destination)", host: exporter.host) { exporter.send(message: $0) },
        ])
        await alerter.raise(Self.pacsDown)
        await alerter.raise(Self.pacsDown) // seen again: the same incident
        await alerter.resolve(.pacsDown, subject: "PACS", summary: "PACS is up again", detail: "next: lifeboat failback --to PACS")
        await alerter.resolve(.pacsDown, subject: "PACS", summary: "PACS is up again")

        let hooks = webhook.received()
        #expect(hooks.count == 2)
        let bodies = hooks.compactMap { $0["body"] as? [String: Any] }
        #expect(bodies.map { $0["state"] as? String } == ["firing", "resolved"])
        #expect(bodies.allSatisfy { $0["key"] as? String == "pacs-down:PACS" && $0["source"] as? String == "LIFEBOAT" && $0["severity"] as? String == "critical" })
        #expect(bodies.first?["title"] as? String == "[Lifeboat LIFEBOAT] CRITICAL pacs-down PACS: PACS is down")
        #expect(hooks.first?["content_type"] as? String == "application/json")
        #expect((bodies.last?["detail"] as? String)?.contains("It began") == true)

        let mails = mail.received()
        #expect(mails.map { $0["subject"] as? String } == ["[Lifeboat LIFEBOAT] CRITICAL pacs-down PACS: PACS is down",
                                                          "[Lifeboat LIFEBOAT] RESOLVED pacs-down PACS: PACS is up again"])
        #expect(mails.first?["to"] as? [String] == ["pacs-admin@hospital.example", "it-oncall@hospital.example"])
        #expect((mails.first?["body"] as? String)?.contains("PACS@10.0.0.5:104 unreachable") == true)
        #expect((mails.last?["body"] as? String)?.contains("next: lifeboat failback --to PACS") == true)

        try await Polling.waitUntil(seconds: 10) { syslog.received().count == 2 }
        let lines = syslog.received().compactMap { $0["message"] as? String }
        #expect(lines.first?.hasPrefix("<26>1 ") == true, "daemon.crit: \(lines)")
        #expect(lines.last?.hasPrefix("<29>1 ") == true, "daemon.notice when resolved")
        #expect(lines.allSatisfy { $0.contains(" lifeboat ") && $0.contains(" ALERT - ") })
    }

    @Test func aRestartNeitherRepeatsNorForgetsAnIncident() async throws {
        let webhook = try await AlertSink(.webhook)
        let channels: [any Notifier] = [WebhookNotifier(url: "http://127.0.0.1:\(webhook.port)/")]
        await Alerter(store: try SQLiteAlertStore(pool: site.archive.catalog.pool), source: "A", channels: channels).raise(Self.pacsDown)
        let restarted = Alerter(store: try SQLiteAlertStore(pool: site.archive.catalog.pool), source: "A", channels: channels)
        await restarted.raise(Self.pacsDown)
        await restarted.resolve(.pacsDown, subject: "PACS", summary: "PACS is up again")
        #expect(webhook.received().compactMap { ($0["body"] as? [String: Any])?["state"] as? String } == ["firing", "resolved"])
        // A new incident of the same thing is told again.
        await restarted.raise(Self.pacsDown)
        #expect(webhook.received().count == 3)
    }

    @Test func theRateLimitHoldsBackAndTheNextMessageSaysHowMany() async throws {
        let webhook = try await AlertSink(.webhook)
        // The limiter's clock moves only when the test moves it: a slow machine cannot let the window pass early.
        let start = ContinuousClock.now, elapsed = Mutex(Duration.zero)
        let alerter = Alerter(store: try SQLiteAlertStore(pool: site.archive.catalog.pool), source: "A", channels: [WebhookNotifier(url: "http://127.0.0.1:\(webhook.port)/")],
                              limit: 2, per: .seconds(2), now: { start + elapsed.withLock { $0 } })
        for target in ["nas", "offsite", "dr-site"] {
            await alerter.raise(Alert(.replicationFailed, subject: target, severity: .critical, summary: "failed at \(target)"))
        }
        #expect(webhook.received().count == 2, "the third waits for the window")
        let open = try await SQLiteAlertStore(pool: site.archive.catalog.pool).incidents().filter { $0.resolvedAt == nil }.map(\.subject)
        #expect(Set(open) == ["nas", "offsite", "dr-site"], "held back, still an open incident")
        await alerter.raise(Alert(.diskFilling, subject: "disk-1", severity: .warning, summary: "filling"))
        #expect(webhook.received().count == 2, "still within the window")
        // Once the window has passed, the next message goes and says what was held back.
        elapsed.withLock { $0 = .seconds(3) }
        await alerter.raise(Alert(.diskFilling, subject: "disk-2", severity: .warning, summary: "filling"))
        #expect(webhook.received().count == 3)
        let detail = (webhook.received().last?["body"] as? [String: Any])?["detail"] as? String ?? ""
        #expect(detail.contains("2 earlier alerts were held back by the rate limit"), "\(detail)")
    }

    @Test func aFailingChannelDoesNotStopTheOthers() async throws {
        let broken = try await AlertSink(.webhook, status: 500)
        let mail = try await AlertSink(.smtp)
        let alerter = Alerter(store: try SQLiteAlertStore(pool: site.archive.catalog.pool), source: "A", channels: [
            WebhookNotifier(url: "http://127.0.0.1:\(broken.port)/"),
            WebhookNotifier(url: "http://127.0.0.1:\(LoopbackPort.free())/"),
            SMTPNotifier(host: "127.0.0.1", port: mail.port, from: "lifeboat@h.example", to: ["a@h.example"]),
        ])
        await alerter.raise(Self.pacsDown)
        #expect(broken.received().count == 1)
        #expect(mail.received().count == 1)
        await #expect(throws: NotifierError("http://127.0.0.1:\(broken.port)/ answered 500 Internal Server Error")) {
            try await WebhookNotifier(url: "http://127.0.0.1:\(broken.port)/").send(Self.pacsDown)
        }
    }

    func monitor(_ webhook: AlertSink, diskFreePercent: Double = 0, auditLog: String? = nil) throws -> AlertMonitor {
        AlertMonitor(replicas: try site.archive.catalog.replicas, integrity: try SQLiteIntegrityStore(pool: site.archive.catalog.pool),
                     alerter: Alerter(store: try SQLiteAlertStore(pool: site.archive.catalog.pool), source: "A", channels: [WebhookNotifier(url: "http://127.0.0.1:\(webhook.port)/")]),
                     options: .init(recoveryPointMinutes: 60, diskFreePercent: diskFreePercent, dataDirectory: site.root,
                                    audit: auditLog.map { log in AuditChainCheck(path: log) { try AuditVerifier.verify(path: log).firstProblem } }))
    }

    func told(_ webhook: AlertSink) -> [String] {
        webhook.received().compactMap { $0["body"] as? [String: Any] }.map { "\($0["state"] as? String ?? "") \($0["key"] as? String ?? "")" }
    }

    @Test func theChecksRaiseAndResolve() async throws {
        let webhook = try await AlertSink(.webhook)
        let blobs = try await site.store(2, study: "1.2.826.0.1.3680043.10.80")
        var state = AlertMonitor.State(lastFinding: 0)

        // A disk fuller than asked for, then one that is fine.
        await (try monitor(webhook, diskFreePercent: 101)).check(&state)
        #expect(told(webhook) == ["firing disk-filling:data"])
        await (try monitor(webhook, diskFreePercent: 0)).check(&state)
        #expect(told(webhook).last == "resolved disk-filling:data")

        // A bad copy at the NAS left unhealed, then healed.
        _ = try await SQLiteIntegrityStore(pool: site.archive.catalog.pool).save(IntegrityFinding(blob: blobs[0], place: "nas", problem: .corrupt))
        await (try monitor(webhook)).check(&state)
        #expect(told(webhook).last == "firing corruption:nas")
        _ = try await SQLiteIntegrityStore(pool: site.archive.catalog.pool).save(IntegrityFinding(blob: blobs[0], place: "nas", problem: .corrupt, healedAt: Date(), healedFrom: "local"))
        await (try monitor(webhook)).check(&state)
        #expect(told(webhook).last == "resolved corruption:nas")
        // Found and healed between two checks: begun and ended.
        _ = try await SQLiteIntegrityStore(pool: site.archive.catalog.pool).save(IntegrityFinding(blob: blobs[1], place: "local", problem: .missing, healedAt: Date(), healedFrom: "nas"))
        await (try monitor(webhook)).check(&state)
        #expect(Array(told(webhook).suffix(2)) == ["firing corruption:local", "resolved corruption:local"])
        // No good copy anywhere.
        _ = try await SQLiteIntegrityStore(pool: site.archive.catalog.pool).save(IntegrityFinding(blob: blobs[1], place: "local", problem: .corrupt, unrecoverable: true))
        await (try monitor(webhook)).check(&state)
        #expect(told(webhook).last == "firing no-good-copy:\(blobs[1].hex)")
        let critical = webhook.received().last?["body"] as? [String: Any]
        #expect(critical?["severity"] as? String == "critical")

        // A target failing for good.
        _ = try await site.archive.catalog.replicas.activateReplicationTargets(["offsite"])
        let item = try #require(try await site.archive.catalog.replicas.nextOutboxItems(target: "offsite", limit: 1).first)
        try await site.archive.catalog.replicas.recordReplicationFailure(target: "offsite", item: item, error: "403 AccessDenied", permanent: true)
        await (try monitor(webhook)).check(&state)
        #expect(told(webhook).contains("firing replication-failed:offsite"))
        #expect((webhook.received().compactMap { $0["body"] as? [String: Any] }.first { $0["key"] as? String == "replication-failed:offsite" }?["detail"] as? String)?
            .contains("403 AccessDenied") == true)
        _ = try await site.archive.catalog.replicas.retryPermanentFailures(target: "offsite")
        await (try monitor(webhook)).check(&state)
        #expect(told(webhook).contains("resolved replication-failed:offsite"))
    }

    @Test func aBrokenAuditChainIsCritical() async throws {
        let webhook = try await AlertSink(.webhook)
        let directory = site.root + "/audit-test"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = try AuditLog(directory: directory)
        for name in ["a", "b", "c"] { try log.append(.administration, actor: name, source: "local") }
        var state = AlertMonitor.State(lastFinding: 0)
        await (try monitor(webhook, auditLog: directory + "/audit.log")).check(&state)
        #expect(told(webhook).isEmpty)
        var lines = try String(contentsOfFile: directory + "/audit.log", encoding: .utf8).components(separatedBy: "\n")
        lines[1] = lines[1].replacingOccurrences(of: "\"actor\":\"b\"", with: "\"actor\":\"mallory\"")
        try lines.joined(separator: "\n").write(toFile: directory + "/audit.log", atomically: true, encoding: .utf8)
        state.lastAuditCheck = nil
        await (try monitor(webhook, auditLog: directory + "/audit.log")).check(&state)
        let alert = webhook.received().last?["body"] as? [String: Any]
        #expect(alert?["key"] as? String == "audit-chain:audit log" && alert?["severity"] as? String == "critical")
        #expect((alert?["summary"] as? String)?.contains("line 2") == true, "\(alert ?? [:])")
    }
}
