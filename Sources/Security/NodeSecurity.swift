import Foundation

/// A node's security state in its data directory: `security.sqlite` (users, tokens) and
/// `audit/audit.log`. Opened the same way by the server and the command line.
public struct NodeSecurity: Sendable {
    public let users: UserDirectory
    public let audit: AuditLog
    /// Failed sign-ins, however the password came (HTTP or DICOM user identity).
    public let signIns = SignInThrottle()

    public init(data: String, bcryptCost: UInt8 = 12) throws {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        users = try UserDirectory(path: data + "/security.sqlite", bcryptCost: bcryptCost)
        audit = try AuditLog(directory: data + "/audit")
    }

    /// Where the first run leaves the administrator's one-time password (mode 0600).
    public static func bootstrapFile(in data: String) -> String { data + "/initial-admin-password" }

    /// On a first run — no enabled administrator — makes the user "admin" with a one-time
    /// password written to `bootstrapFile` and nowhere else: there is no default password.
    /// Returns that file's path when it made one.
    public func bootstrap(data: String) throws -> String? {
        guard try !users.hasAdministrator() else { return nil }
        let name = try users.user(named: "admin") == nil ? "admin" : "admin-\(Secrets.random().prefix(6).lowercased())"
        guard let password = try users.add(name: name, role: .administrator) else { return nil }
        let path = Self.bootstrapFile(in: data)
        let created = FileManager.default.createFile(atPath: path, contents: Data("\(name)\n\(password)\n".utf8), attributes: [.posixPermissions: 0o600])
        guard created else { throw SecurityError.storage("cannot write \(path)") }
        try audit.append(.administration, actor: "lifeboat", source: "local", subject: name,
                         detail: "first run: administrator created with a one-time password in \(path)")
        return path
    }
}
