import Archive
import Continuity
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Security
import TestSupport
import Testing
@testable import Web

/// Who may use the HTTP side: each way of being refused answers the right status and is
/// written to the audit log; sign-in by password gives a session whose cookie needs the
/// CSRF token to change anything; guessing is throttled.
@Suite struct AccessTests {
    struct Site: Sendable {
        let fixture: AccessFixture
        let root: String
    }

    static func withSite(studies: Int = 0, _ body: @escaping @Sendable (any TestClientProtocol, Site) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let archive = try LocalArchive(root: root)
        for index in 0..<studies {
            let path = "\(root)/\(index).dcm"
            try Data(try DICOMwebTests.part10(instance: "1.2.3.\(index).1.1", series: "1.2.3.\(index).1", study: "1.2.3.\(index)", name: "Patient^\(index)"))
                .write(to: URL(fileURLWithPath: path))
            guard case .imported = await Importer(ingestor: archive.ingestor).importFile(at: path) else { Issue.record("not imported"); return }
        }
        let fixture = try AccessFixture(root: root)
        let engine = QueryEngine(catalog: archive.catalog, blobs: archive.blobs, retrieveAETitle: "LIFEBOAT")
        var server = WebServer(dicomweb: DICOMweb(engine: engine, ingestor: archive.ingestor), access: fixture.access, catalog: archive.catalog)
        server.continuity = try ContinuityStores(pool: archive.catalog.pool)
        try await Application(router: server.router()).test(.router) { client in try await body(client, Site(fixture: fixture, root: root)) }
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    @Test func withoutAValidTokenNothingButHealthAndTheViewerPageAnswers() async throws {
        try await Self.withSite { client, site in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok, "the viewer's page holds no patient data") }
            try await client.execute(uri: "/dicom-web/studies", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.contains("Bearer") == true)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: Self.bearer("lbt_not-a-token")) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.authorization: "Digest x"]) { #expect($0.status == .unauthorized) }

            let users = site.fixture.security.users
            try users.add(name: "expiring", role: .radiologist, password: "will expire soon")
            let expired = try users.createToken(for: "expiring", label: "short", validFor: .seconds(1))
            try await Polling.waitUntil(seconds: 5) { try users.check(token: expired.secret) == .expired(user: "expiring") }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: Self.bearer(expired.secret)) { #expect($0.status == .unauthorized) }

            try users.setDisabled(true, name: "test-radiologist")
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: Self.bearer(site.fixture.tokens[.radiologist]!)) {
                #expect($0.status == .unauthorized, "a disabled user's token stops working at once")
            }

            let refusals = try site.fixture.records().filter { $0.action == .rejection }
            #expect(refusals.map(\.detail) == ["GET refused: no credentials", "GET refused: unknown token",
                                               "GET refused: the Digest authorization scheme is not accepted here", "GET refused: expired token",
                                               "GET refused: token of a disabled user"])
            #expect(refusals.allSatisfy { !$0.succeeded && $0.subject == "/dicom-web/studies" })
            #expect(refusals.map(\.actor) == ["anonymous", "anonymous", "anonymous", "expiring", "test-radiologist"])
        }
    }

    @Test func eachRouteNeedsItsRole() async throws {
        try await Self.withSite { client, site in
            let tokens = site.fixture.tokens
            // role → (search, status API, store)
            let expected: [Role: (HTTPResponse.Status, HTTPResponse.Status, HTTPResponse.Status)] = [
                .radiologist: (.ok, .forbidden, .forbidden), .technologist: (.ok, .forbidden, .unsupportedMediaType),
                .auditor: (.forbidden, .ok, .forbidden), .administrator: (.ok, .ok, .unsupportedMediaType), .service: (.ok, .forbidden, .unsupportedMediaType),
            ]
            for (role, (search, status, store)) in expected {
                let headers = Self.bearer(tokens[role]!)
                try await client.execute(uri: "/dicom-web/studies", method: .get, headers: headers) { #expect($0.status == search, "\(role) search") }
                try await client.execute(uri: "/api/replication/status", method: .get, headers: headers) { #expect($0.status == status, "\(role) status") }
                // A store with no body: past the role check it is refused for its content type.
                try await client.execute(uri: "/dicom-web/studies", method: .post, headers: headers) { #expect($0.status == store, "\(role) store") }
            }
            let records = try site.fixture.records()
            let forbidden = records.filter { $0.action == .rejection && $0.actor == "test-auditor" }.map(\.detail)
            #expect(forbidden.contains("GET refused: the auditor role does not allow query"))
            #expect(forbidden.contains("POST refused: the auditor role does not allow store"))
            #expect(records.contains { $0.action == .query && $0.actor == "test-radiologist" && $0.succeeded && $0.detail == "GET 200" })
        }
    }

    @Test func aSignedInBrowserNeedsTheCSRFTokenToChangeAnything() async throws {
        try await Self.withSite { client, site in
            let body = ByteBuffer(string: #"{"user": "test-technologist", "password": "password of technologist"}"#)
            let (cookie, csrf) = try await client.execute(uri: "/api/login", method: .post, body: body) { response in
                #expect(response.status == .ok)
                let setCookie = try #require(response.headers[.setCookie])
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
                let info = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(info["role"] as? String == "technologist" && info["mustChangePassword"] as? Bool == false)
                return (String(setCookie.split(separator: ";")[0]), try #require(info["csrf"] as? String))
            }
            #expect(!cookie.contains("test-technologist"))
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/session", method: .get, headers: [.cookie: cookie]) { response in
                #expect(String(buffer: response.body).contains("\"user\":\"test-technologist\""))
            }
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: [.cookie: cookie]) {
                #expect($0.status == .forbidden, "no CSRF token")
            }
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: [.cookie: cookie, .csrfToken: "wrong"]) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: [.cookie: cookie, .csrfToken: csrf]) {
                #expect($0.status == .unsupportedMediaType, "past the guard: refused for what it sent")
            }
            try await client.execute(uri: "/api/logout", method: .post, headers: [.cookie: cookie]) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .unauthorized) }
            let records = try site.fixture.records()
            #expect(records.contains { $0.action == .login && $0.actor == "test-technologist" && $0.detail == "signed in" })
            #expect(records.contains { $0.action == .rejection && $0.detail == "POST refused: missing or wrong X-CSRF-Token header" })
            #expect(records.contains { $0.action == .query && $0.actor == "test-technologist" })
        }
    }

    @Test func wrongPasswordsAreThrottledAndAOneTimePasswordMustBeChanged() async throws {
        try await Self.withSite { client, site in
            func login(_ user: String, _ password: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/login", method: .post,
                                         body: ByteBuffer(string: "{\"user\": \"\(user)\", \"password\": \"\(password)\"}")) { $0 }
            }
            for _ in 0..<5 { #expect(try await login("test-radiologist", "guess").status == .unauthorized) }
            let locked = try await login("test-radiologist", "password of radiologist")
            #expect(locked.status == .tooManyRequests, "even the right password waits out the lock")
            #expect(Int(locked.headers[.retryAfter] ?? "") ?? 0 > 800)
            let failures = try site.fixture.records().filter { $0.action == .loginFailed }
            #expect(failures.count == 6 && failures.allSatisfy { $0.actor == "test-radiologist" && !$0.succeeded })

            // Basic credentials (configured here) go through the same check.
            let basic = "Basic " + Data("test-service:password of service".utf8).base64EncodedString()
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.authorization: basic]) { #expect($0.status == .ok) }

            let oneTime = try #require(try site.fixture.security.users.add(name: "newcomer", role: .radiologist))
            let first = try await login("newcomer", oneTime)
            #expect(first.status == .ok && String(buffer: first.body).contains("\"mustChangePassword\":true"))
            let cookie = String(try #require(first.headers[.setCookie]).split(separator: ";")[0])
            let csrf = try #require((try JSONSerialization.jsonObject(with: Data(buffer: first.body)) as? [String: Any])?["csrf"] as? String)
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/password", method: .post, headers: [.cookie: cookie, .csrfToken: csrf],
                                     body: ByteBuffer(string: "{\"current\": \"\(oneTime)\", \"new\": \"short\"}")) {
                #expect($0.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/password", method: .post, headers: [.cookie: cookie, .csrfToken: csrf],
                                     body: ByteBuffer(string: "{\"current\": \"\(oneTime)\", \"new\": \"my own long passphrase\"}")) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.cookie: cookie]) { #expect($0.status == .ok) }
        }
    }

    @Test func anAuditorFindsWhoLookedAtAPatient() async throws {
        try await Self.withSite(studies: 2) { client, site in
            let tokens = site.fixture.tokens
            // A radiologist opens patient 0's study; a technologist searches for patient 1.
            try await client.execute(uri: "/dicom-web/studies/1.2.3.0/metadata", method: .get, headers: Self.bearer(tokens[.radiologist]!)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/dicom-web/studies?PatientID=P-Patient%5E1", method: .get, headers: Self.bearer(tokens[.technologist]!)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/audit?patient=P-Patient%5E0", method: .get, headers: Self.bearer(tokens[.radiologist]!)) {
                #expect($0.status == .forbidden, "a radiologist does not read the trail")
            }
            let found = try await client.execute(uri: "/api/audit?patient=P-Patient%5E0", method: .get, headers: Self.bearer(tokens[.auditor]!)) { response in
                #expect(response.status == .ok)
                return try JSONDecoder().decode([AuditRecord].self, from: Data(buffer: response.body))
            }
            // The import is no outside action; the radiologist's look is the one record about patient 0.
            #expect(found.map(\.actor) == ["test-radiologist"] && found.first?.action == .retrieve, "\(found)")
            let other = try await client.execute(uri: "/api/audit?patient=P-Patient%5E1", method: .get, headers: Self.bearer(tokens[.auditor]!)) { response in
                try JSONDecoder().decode([AuditRecord].self, from: Data(buffer: response.body))
            }
            #expect(other.map(\.actor) == ["test-technologist"] && other.first?.action == .query)
            let refusals = try await client.execute(uri: "/api/audit?failures=true&action=rejection", method: .get,
                                                    headers: Self.bearer(tokens[.administrator]!)) { response in
                try JSONDecoder().decode([AuditRecord].self, from: Data(buffer: response.body))
            }
            #expect(refusals.map(\.actor) == ["test-radiologist"])
            // Reading the trail is itself on it.
            #expect(try site.fixture.records().filter { $0.action == .auditRead }.map(\.actor) == ["test-auditor", "test-auditor", "test-administrator"])
            try await client.execute(uri: "/api/audit?action=dance", method: .get, headers: Self.bearer(tokens[.auditor]!)) { #expect($0.status == .badRequest) }
        }
    }
}
