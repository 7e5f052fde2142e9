import Crypto
import Foundation
import GRDB
import HummingbirdBcrypt

/// A user as the directory lists it (never with the password hash).
public struct User: Sendable, Equatable {
    public var name: String
    public var role: Role
    public var disabled: Bool
    /// Set for a one-time password: until changed, the user may do nothing else.
    public var mustChangePassword: Bool
    public var createdAt: String
}

/// An API token as listed: the secret itself is shown once, when made, and kept only as its SHA-256.
public struct TokenInfo: Sendable, Equatable {
    public var id: String
    public var user: String
    public var label: String
    public var createdAt: String
    public var expiresAt: String?
}

/// Who may sign in: users with a role and a bcrypt password hash, and their API tokens,
/// in `security.sqlite` beside the catalog. The command line and the server open the same
/// file (WAL): a user disabled at the command line is refused by the running server at
/// its next request.
public struct UserDirectory: Sendable {
    public let path: String
    let queue: DatabaseQueue
    /// bcrypt's work factor: 2^cost rounds (about 0.25 s at 12 on one core of today's servers).
    let bcryptCost: UInt8

    public init(path: String, bcryptCost: UInt8 = 12) throws(SecurityError) {
        self.path = path
        self.bcryptCost = bcryptCost
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            try Self.migrator.migrate(queue)
        } catch {
            throw .storage("cannot open the user directory \(path): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1: users and tokens") { db in
            try db.execute(sql: """
                CREATE TABLE user (
                    name TEXT PRIMARY KEY, role TEXT NOT NULL, passwordHash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,
                    mustChangePassword INTEGER NOT NULL DEFAULT 0, createdAt TEXT NOT NULL, passwordChangedAt TEXT NOT NULL);
                CREATE TABLE token (
                    id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, user TEXT NOT NULL REFERENCES user(name), label TEXT NOT NULL,
                    createdAt TEXT NOT NULL, expiresAt TEXT);
                """)
        }
        migrator.registerMigration("2: the node's signing key") { db in
            try db.execute(sql: "CREATE TABLE signingKey (id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL)")
            var generator = SystemRandomNumberGenerator()
            let key = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
            try db.execute(sql: "INSERT INTO signingKey VALUES (1, ?)", arguments: [key])
        }
        return migrator
    }

    /// The key this node signs its JWTs with (made once, kept in this file).
    public func signingKey() throws(SecurityError) -> SymmetricKey {
        let key = try run("reading the signing key") { db in try Data.fetchOne(db, sql: "SELECT key FROM signingKey WHERE id = 1") }
        guard let key else { throw .storage("\(path): no signing key") }
        return SymmetricKey(data: key)
    }

    static let timestamp = Date.ISO8601FormatStyle()

    public static func validate(name: String) throws(SecurityError) {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@"))
        guard (1...64).contains(name.count), name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            throw .invalidUserName(name)
        }
    }

    /// At least 12 characters, and not the user's name.
    public static func check(password: String, for name: String) throws(SecurityError) {
        guard password.count >= 12 else { throw .weakPassword("at least 12 characters") }
        guard password.lowercased() != name.lowercased() else { throw .weakPassword("it is the user name") }
    }

    func run<T>(_ what: String, _ body: (Database) throws -> T) throws(SecurityError) -> T {
        do {
            return try queue.write(body)
        } catch let error as SecurityError {
            throw error
        } catch {
            throw .storage("\(what): \(error)")
        }
    }

    /// Adds a user. With no password, one is made up, returned, and must be changed at first sign-in.
    @discardableResult
    public func add(name: String, role: Role, password: String? = nil) throws(SecurityError) -> String? {
        try Self.validate(name: name)
        if let password { try Self.check(password: password, for: name) }
        let chosen = password ?? Secrets.oneTimePassword()
        let hash = Bcrypt.hash(chosen, cost: bcryptCost)
        let now = Self.timestamp.format(Date())
        try run("adding \(name)") { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM user WHERE name = ?", arguments: [name]) == nil else { throw SecurityError.userExists(name) }
            try db.execute(sql: "INSERT INTO user VALUES (?, ?, ?, 0, ?, ?, ?)", arguments: [name, role.rawValue, hash, password == nil, now, now])
        }
        return password == nil ? chosen : nil
    }

    public func users() throws(SecurityError) -> [User] {
        try run("listing users") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM user ORDER BY name").map(Self.user)
        }
    }

    public func user(named name: String) throws(SecurityError) -> User? {
        try run("reading \(name)") { db in try Row.fetchOne(db, sql: "SELECT * FROM user WHERE name = ?", arguments: [name]).map(Self.user) }
    }

    static func user(_ row: Row) -> User {
        User(name: row["name"], role: Role(rawValue: row["role"]) ?? .service, disabled: row["disabled"], mustChangePassword: row["mustChangePassword"],
             createdAt: row["createdAt"])
    }

    /// Whether any enabled administrator exists: none means the first run's bootstrap is owed.
    public func hasAdministrator() throws(SecurityError) -> Bool {
        try run("reading users") { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM user WHERE role = 'administrator' AND disabled = 0") != nil
        }
    }

    /// Disables (or enables again) a user: their sign-ins and tokens stop working at once.
    public func setDisabled(_ disabled: Bool, name: String) throws(SecurityError) {
        try run("changing \(name)") { db in
            guard let user = try Row.fetchOne(db, sql: "SELECT * FROM user WHERE name = ?", arguments: [name]).map(Self.user) else {
                throw SecurityError.unknownUser(name)
            }
            if disabled, user.role == .administrator, !user.disabled,
               try Int.fetchOne(db, sql: "SELECT count(*) FROM user WHERE role = 'administrator' AND disabled = 0") == 1 {
                throw SecurityError.lastAdministrator(name)
            }
            try db.execute(sql: "UPDATE user SET disabled = ? WHERE name = ?", arguments: [disabled, name])
        }
    }

    /// Sets a new password. `oneTime`: the user must change it at next sign-in (an administrator's reset).
    public func setPassword(_ password: String, name: String, oneTime: Bool) throws(SecurityError) {
        try Self.check(password: password, for: name)
        let hash = Bcrypt.hash(password, cost: bcryptCost)
        try run("changing \(name)'s password") { db in
            try db.execute(sql: "UPDATE user SET passwordHash = ?, mustChangePassword = ?, passwordChangedAt = ? WHERE name = ?",
                           arguments: [hash, oneTime, Self.timestamp.format(Date()), name])
            guard db.changesCount == 1 else { throw SecurityError.unknownUser(name) }
        }
    }

    /// The user whose password this is, if enabled. Slow on purpose (bcrypt): call it off
    /// the event loop. An unknown name costs the same time as a known one.
    public func verify(name: String, password: String) throws(SecurityError) -> User? {
        let found = try run("reading \(name)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM user WHERE name = ?", arguments: [name]).map { (Self.user($0), $0["passwordHash"] as String) }
        }
        guard let (user, hash) = found else {
            _ = Bcrypt.verify(password, hash: Self.decoyHash)
            return nil
        }
        guard Bcrypt.verify(password, hash: hash), !user.disabled else { return nil }
        return user
    }

    /// A hash of nothing anyone knows, verified against when the user does not exist.
    static let decoyHash = Bcrypt.hash(Secrets.random(), cost: 12)

    /// Makes an API token for a user; the secret is returned once and kept only as its digest.
    public func createToken(for name: String, label: String, validFor: Duration? = nil) throws(SecurityError) -> (id: String, secret: String) {
        let secret = Secrets.random(prefix: "lbt_")
        let id = String(Secrets.digest(secret).prefix(12))
        let now = Date()
        let expires = validFor.map { Self.timestamp.format(now.addingTimeInterval(TimeInterval($0.components.seconds))) }
        try run("making a token for \(name)") { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM user WHERE name = ?", arguments: [name]) != nil else { throw SecurityError.unknownUser(name) }
            try db.execute(sql: "INSERT INTO token VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, Secrets.digest(secret), name, label, Self.timestamp.format(now), expires])
        }
        return (id, secret)
    }

    public func tokens() throws(SecurityError) -> [TokenInfo] {
        try run("listing tokens") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM token ORDER BY user, createdAt").map {
                TokenInfo(id: $0["id"], user: $0["user"], label: $0["label"], createdAt: $0["createdAt"], expiresAt: $0["expiresAt"])
            }
        }
    }

    public func revokeToken(id: String) throws(SecurityError) {
        try run("revoking token \(id)") { db in
            try db.execute(sql: "DELETE FROM token WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw SecurityError.unknownToken }
        }
    }

    /// What presenting this token proves.
    public enum TokenCheck: Sendable, Equatable {
        case valid(User)
        case unknown
        case expired(user: String)
        case disabled(user: String)
    }

    public func check(token secret: String, at now: Date = Date()) throws(SecurityError) -> TokenCheck {
        try run("checking a token") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT token.expiresAt, user.* FROM token JOIN user ON user.name = token.user WHERE digest = ?",
                                             arguments: [Secrets.digest(secret)]) else { return .unknown }
            let user = Self.user(row)
            if let expires = row["expiresAt"] as String?, let date = try? Date(expires, strategy: Self.timestamp), date <= now {
                return .expired(user: user.name)
            }
            return user.disabled ? .disabled(user: user.name) : .valid(user)
        }
    }
}
