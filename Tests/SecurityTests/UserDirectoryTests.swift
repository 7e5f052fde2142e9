import DICOMNetwork
import Foundation
@testable import Security
import Testing

/// Users, passwords and tokens in a real SQLite file, with bcrypt at its lowest cost so
/// the tests stay quick (the cost is a parameter of the hash, not of the logic).
@Suite struct UserDirectoryTests {
    static func directory() throws -> (UserDirectory, String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return (try UserDirectory(path: root + "/security.sqlite", bcryptCost: 4), root)
    }

    /// The database and its write-ahead log, as text.
    static func bytesOnDisk(_ users: UserDirectory) -> String {
        [users.path, users.path + "-wal"].compactMap { FileManager.default.contents(atPath: $0) }.map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    @Test func aUserSignsInWithTheirPasswordAndNotWithAnother() throws {
        let (users, root) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try users.add(name: "jane", role: .radiologist, password: "correct horse battery")
        #expect(try users.verify(name: "jane", password: "correct horse battery")?.role == .radiologist)
        #expect(try users.verify(name: "jane", password: "correct horse batterY") == nil)
        #expect(try users.verify(name: "nobody", password: "correct horse battery") == nil)
        // The stored value is a bcrypt hash, never the password.
        let stored = Self.bytesOnDisk(users)
        #expect(!stored.contains("correct horse battery"))
        #expect(stored.contains("$2b$04$"))
    }

    @Test func badNamesWeakPasswordsAndDuplicatesAreRefusedByName() throws {
        let (users, root) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(throws: SecurityError.invalidUserName("jane doe")) { try users.add(name: "jane doe", role: .radiologist, password: "long enough pass") }
        #expect(throws: SecurityError.weakPassword("at least 12 characters")) { try users.add(name: "jane", role: .radiologist, password: "short") }
        #expect(throws: SecurityError.weakPassword("it is the user name")) { try users.add(name: "jane.doe.mri", role: .radiologist, password: "JANE.DOE.MRI") }
        try users.add(name: "jane", role: .radiologist, password: "long enough pass")
        #expect(throws: SecurityError.userExists("jane")) { try users.add(name: "jane", role: .auditor, password: "another long one") }
        #expect(try users.users().map(\.name) == ["jane"])
    }

    @Test func aMadeUpPasswordMustBeChangedAndADisabledUserCannotSignIn() throws {
        let (users, root) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let oneTime = try #require(try users.add(name: "admin", role: .administrator))
        #expect(oneTime.count == 20)
        #expect(try users.verify(name: "admin", password: oneTime)?.mustChangePassword == true)
        try users.setPassword("a new passphrase", name: "admin", oneTime: false)
        #expect(try users.verify(name: "admin", password: oneTime) == nil)
        #expect(try users.verify(name: "admin", password: "a new passphrase")?.mustChangePassword == false)

        try users.add(name: "tech", role: .technologist, password: "modality room 3")
        try users.setDisabled(true, name: "tech")
        #expect(try users.verify(name: "tech", password: "modality room 3") == nil)
        #expect(throws: SecurityError.unknownUser("ghost")) { try users.setDisabled(true, name: "ghost") }
    }

    @Test func theLastAdministratorCannotBeDisabled() throws {
        let (users, root) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try !users.hasAdministrator())
        try users.add(name: "root", role: .administrator, password: "first administrator")
        #expect(try users.hasAdministrator())
        #expect(throws: SecurityError.lastAdministrator("root")) { try users.setDisabled(true, name: "root") }
        try users.add(name: "second", role: .administrator, password: "second administrator")
        try users.setDisabled(true, name: "root")
        #expect(try users.hasAdministrator())
    }

    @Test func tokensAreKeptAsDigestsAndStopWorkingWhenExpiredRevokedOrTheirUserIsDisabled() throws {
        let (users, root) = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try users.add(name: "ohif", role: .service, password: "viewer back end")
        try users.add(name: "admin", role: .administrator, password: "first administrator")
        let token = try users.createToken(for: "ohif", label: "viewer", validFor: .seconds(3600))
        #expect(token.secret.hasPrefix("lbt_"))
        guard case .valid(let user) = try users.check(token: token.secret) else { Issue.record("token refused"); return }
        #expect(user.name == "ohif" && user.role == .service)
        #expect(try users.check(token: token.secret + "x") == .unknown)
        #expect(try users.check(token: token.secret, at: Date().addingTimeInterval(3601)) == .expired(user: "ohif"))
        #expect(!Self.bytesOnDisk(users).contains(token.secret) && Self.bytesOnDisk(users).contains(Secrets.digest(token.secret)))
        #expect(try users.tokens().map(\.id) == [token.id])

        try users.setDisabled(true, name: "ohif")
        #expect(try users.check(token: token.secret) == .disabled(user: "ohif"))
        try users.setDisabled(false, name: "ohif")
        try users.revokeToken(id: token.id)
        #expect(try users.check(token: token.secret) == .unknown)
        #expect(throws: SecurityError.unknownToken) { try users.revokeToken(id: token.id) }
        #expect(throws: SecurityError.unknownUser("nobody")) { try users.createToken(for: "nobody", label: "x") }
    }

    @Test func rolesGrantFixedPermissions() {
        #expect(Role.radiologist.allows(.retrieve) && !Role.radiologist.allows(.store))
        #expect(Role.auditor.allows(.audit) && !Role.auditor.allows(.retrieve))
        #expect(!Role.technologist.allows(.administer) && Role.administrator.allows(.administer))
        #expect(Role(name: "Reader") == .radiologist && Role(name: "root") == nil)
    }
}

/// Sign-in throttling and browser sessions, on a clock the test moves.
@Suite struct SessionTests {
    @Test func failuresLockAUserNameAndAnAddressUntilTheWindowPasses() {
        var throttle = LoginThrottle(limit: 5, addressLimit: 5, window: .seconds(900))
        let start = Date(timeIntervalSince1970: 1_000_000)
        for second in 0..<5 {
            #expect(throttle.retryAfter(user: "jane", address: "10.0.0.9", at: start + Double(second)) == nil)
            throttle.failed(user: "jane", address: "10.0.0.9", at: start + Double(second))
        }
        #expect(throttle.retryAfter(user: "jane", address: "10.0.0.1", at: start + 10) == start + 4 + 900, "the user name is locked from anywhere")
        #expect(throttle.retryAfter(user: "bob", address: "10.0.0.9", at: start + 10) == start + 4 + 900, "the address is locked for any name")
        #expect(throttle.retryAfter(user: "bob", address: "10.0.0.1", at: start + 10) == nil)
        #expect(throttle.retryAfter(user: "JANE", address: "10.0.0.1", at: start + 905) == nil, "the window has passed")
        throttle.failed(user: "bob", address: "10.0.0.2", at: start)
        throttle.succeeded(user: "bob")
        #expect(throttle.retryAfter(user: "bob", address: "10.0.0.3", at: start + 1) == nil)
    }

    @Test func anAddressTakesMoreFailuresThanAUserName() {
        var throttle = LoginThrottle()
        let start = Date(timeIntervalSince1970: 1_000_000)
        for index in 0..<19 { throttle.failed(user: "user\(index)", address: "10.0.0.9", at: start) }
        #expect(throttle.retryAfter(user: "jane", address: "10.0.0.9", at: start + 1) == nil, "19 failures of different names")
        throttle.failed(user: "user19", address: "10.0.0.9", at: start)
        #expect(throttle.retryAfter(user: "jane", address: "10.0.0.9", at: start + 1) != nil, "the 20th locks the address")
    }

    /// DICOM user identity negotiation (PS3.7 D.3.3.7) counts wrong passwords in the same
    /// throttle as the web's sign-ins: past five for a name, the association is refused without
    /// the password being checked — even the right one — until the window has passed.
    @Test func dicomUserIdentityGuessesAreThrottledWithTheWebs() throws {
        let (users, root) = try UserDirectoryTests.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try users.add(name: "jane", role: .radiologist, password: "correct horse battery")
        let throttle = SignInThrottle()
        let identities = try DICOMUserIdentities(users: users, throttle: throttle)
        func identity(_ password: String) -> UserIdentity {
            UserIdentity(kind: .usernameAndPasscode, positiveResponseRequested: false, primaryField: Array("jane".utf8), secondaryField: Array(password.utf8))
        }
        let start = Date(timeIntervalSince1970: 1_000_000)
        for guess in 0..<4 {
            #expect(identities.check(identity("guess \(guess)"), from: "10.0.0.7", now: start) == .refused(name: "jane", why: "wrong user name or password"))
        }
        // A fifth wrong sign-in on the web counts too.
        throttle.failed(user: "jane", address: "10.0.0.8", at: start)
        guard case .refused(_, let why) = identities.check(identity("correct horse battery"), from: "10.0.0.7", now: start + 1) else {
            Issue.record("the right password was checked past the throttle")
            return
        }
        #expect(why.hasPrefix("too many failed sign-ins for jane or from 10.0.0.7: try again in"))
        guard case .user(let user) = identities.check(identity("correct horse battery"), from: "10.0.0.7", now: start + 901) else {
            Issue.record("the window passed, yet refused")
            return
        }
        #expect(user.name == "jane")
    }

    @Test func aSessionEndsWhenIdleTooLongOrSignedOut() {
        let sessions = Sessions(idleTimeout: .seconds(60))
        let start = Date(timeIntervalSince1970: 1_000_000)
        let (key, csrf) = sessions.start(user: "jane", at: start)
        #expect(sessions.session(forKey: key, at: start + 50)?.csrf == csrf)
        #expect(sessions.session(forKey: key, at: start + 100)?.user == "jane", "each use restarts the idle timer")
        #expect(sessions.session(forKey: key, at: start + 161) == nil)
        let second = sessions.start(user: "jane", at: start)
        sessions.end(user: "jane")
        #expect(sessions.session(forKey: second.key, at: start + 1) == nil)
        #expect(sessions.session(forKey: "lbs_guessed", at: start) == nil)
    }
}
