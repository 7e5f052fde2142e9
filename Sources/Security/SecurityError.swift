/// Why a user or token operation was refused, worded for the administrator at the
/// command line or the person at the login page.
public enum SecurityError: Error, Equatable, CustomStringConvertible {
    case invalidUserName(String)
    case userExists(String)
    case unknownUser(String)
    case unknownRole(String)
    case weakPassword(String)
    case lastAdministrator(String)
    case unknownToken
    case storage(String)

    public var description: String {
        switch self {
        case .invalidUserName(let name):
            "\"\(name)\" is not a user name: 1 to 64 letters, digits, '.', '_', '-' or '@'"
        case .userExists(let name): "a user \"\(name)\" already exists"
        case .unknownUser(let name): "there is no user \"\(name)\""
        case .unknownRole(let name): "\"\(name)\" is not a role: one of \(Role.allCases.map(\.rawValue).joined(separator: ", ")) (or reader)"
        case .weakPassword(let why): "password refused: \(why)"
        case .lastAdministrator(let name):
            "\"\(name)\" is the last enabled administrator: add or enable another before disabling this one"
        case .unknownToken: "no such token"
        case .storage(let what): what
        }
    }
}
