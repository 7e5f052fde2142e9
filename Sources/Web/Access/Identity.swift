import Security

/// Who a request comes from, once proven.
public struct Identity: Sendable, Equatable {
    public enum Method: String, Sendable {
        case token, session, basic
    }

    public var user: String
    public var role: Role
    public var method: Method
    /// A session's CSRF token: what a request that changes something must echo in `X-CSRF-Token`.
    public var csrf: String?
    /// A one-time password is in use: nothing but changing it is allowed.
    public var mustChangePassword: Bool
}
