import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Security
@testable import Web

/// A real user directory and audit log in a test's directory, with a user of each role
/// signed in by an API token, for tests whose subject is not access control itself.
struct AccessFixture {
    let access: HTTPAccess
    let security: NodeSecurity
    /// A token by role.
    let tokens: [Role: String]

    init(root: String) throws {
        security = try NodeSecurity(data: root, bcryptCost: 4)
        var tokens: [Role: String] = [:]
        for role in Role.allCases {
            try security.users.add(name: "test-\(role.rawValue)", role: role, password: "password of \(role.rawValue)")
            tokens[role] = try security.users.createToken(for: "test-\(role.rawValue)", label: "test").secret
        }
        self.tokens = tokens
        access = HTTPAccess(users: security.users, audit: security.audit, allowBasic: true)
    }

    /// The audit records written so far.
    func records() throws -> [AuditRecord] {
        try String(contentsOfFile: security.audit.path, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
    }
}

/// A test client that sends a token with every request that carries no Authorization of its own.
struct SignedClient: TestClientProtocol {
    let inner: any TestClientProtocol
    let token: String

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        return try await inner.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { inner.port }
}
