import ArgumentParser
import Foundation
import Security

/// Who is acting at the command line, for the audit trail.
func localActor() -> String { ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "local" }

/// Reads one line (a password) from standard input.
func passwordFromStandardInput() throws -> String {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIError("--password-stdin: no password on standard input") }
    return line
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Who may sign in to the web viewer, DICOMweb and the API, and with which role.",
        discussion: """
            Roles: administrator, radiologist (or reader), technologist, auditor, service.
            Every change is recorded in the audit log.
            """,
        subcommands: [Add.self, List.self, Disable.self, Enable.self, ResetPassword.self]
    )

    struct DataOption: ParsableArguments {
        @OptionGroup var directory: DataDirectory

        func security() throws -> NodeSecurity { try NodeSecurity(data: directory.data) }

        /// Disables or enables a user, and records it.
        func set(disabled: Bool, name: String) throws {
            let security = try security()
            try security.users.setDisabled(disabled, name: name)
            try security.audit.append(.administration, actor: localActor(), source: "local", subject: name, detail: disabled ? "user disabled" : "user enabled")
            print("\(disabled ? "disabled" : "enabled") \(name)")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user.",
            discussion: """
                Without --password-stdin a one-time password is made up and printed; the user must
                change it at first sign-in. Passwords have at least 12 characters.

                Examples:
                  lifeboat user add jane --role radiologist
                  printf '%s\\n' "$PASSWORD" | lifeboat user add ohif --role service --password-stdin
                """
        )
        @Argument(help: "The user name: letters, digits, '.', '_', '-', '@'.") var name: String
        @Option(help: "administrator, radiologist, technologist, auditor or service.") var role: String
        @Flag(help: "Read the password from standard input.") var passwordStdin = false
        @OptionGroup var options: DataOption

        func run() async throws {
            guard let role = Role(name: role) else { throw SecurityError.unknownRole(role) }
            let security = try options.security()
            let oneTime = try security.users.add(name: name, role: role, password: passwordStdin ? try passwordFromStandardInput() : nil)
            try security.audit.append(.administration, actor: localActor(), source: "local", subject: name, detail: "user added with role \(role.rawValue)")
            print("added \(name) (\(role.rawValue))")
            if let oneTime { print("one-time password: \(oneTime)  (to be changed at first sign-in)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users, their roles and whether they are enabled.",
                                                        discussion: "Example:\n  lifeboat user list --data /var/lib/lifeboat")
        @OptionGroup var options: DataOption

        func run() async throws {
            let users = try options.security().users.users()
            print(["User", "Role", "State", "Created"].joined(separator: "\t"))
            for user in users {
                let state = user.disabled ? "disabled" : user.mustChangePassword ? "must change password" : "enabled"
                print([user.name, user.role.rawValue, state, user.createdAt].joined(separator: "\t"))
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a user signing in; their tokens stop working at once.",
            discussion: "The last enabled administrator cannot be disabled.\n\nExample:\n  lifeboat user disable jane")
        @Argument var name: String
        @OptionGroup var options: DataOption

        func run() async throws { try options.set(disabled: true, name: name) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user sign in again.", discussion: "Example:\n  lifeboat user enable jane")
        @Argument var name: String
        @OptionGroup var options: DataOption

        func run() async throws { try options.set(disabled: false, name: name) }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Give a user a new password.",
            discussion: """
                Without --password-stdin a one-time password is made up and printed, to be changed at
                the next sign-in.

                Example:
                  lifeboat user reset-password jane
                """
        )
        @Argument var name: String
        @Flag(help: "Read the new password from standard input.") var passwordStdin = false
        @OptionGroup var options: DataOption

        func run() async throws {
            let security = try options.security()
            let password = passwordStdin ? try passwordFromStandardInput() : Secrets.oneTimePassword()
            try security.users.setPassword(password, name: name, oneTime: !passwordStdin)
            try security.audit.append(.administration, actor: localActor(), source: "local", subject: name, detail: "password reset")
            print("reset \(name)'s password")
            if !passwordStdin { print("one-time password: \(password)  (to be changed at first sign-in)") }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "API tokens: how a viewer (OHIF), a script or another system signs in to DICOMweb and the API.",
        discussion: "A token acts with its user's role. Send it as 'Authorization: Bearer <token>'.",
        subcommands: [Create.self, List.self, Revoke.self, JWTCommand.self]
    )

    struct JWTCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "jwt",
            abstract: "Make a JWT a DICOM peer presents in user identity negotiation to act as a user.",
            discussion: """
                Signed with this node's key (in security.sqlite), short-lived; the peer gets the
                user's role's rights (store, query, retrieve) on top of its AE's.

                Example:
                  lifeboat token jwt modality-3 --minutes 480 > ct3.jwt
                  storescu --jwt ct3.jwt -aec LIFEBOAT archive 11112 image.dcm
                """
        )
        @Argument(help: "The user it acts as.") var user: String
        @Option(help: "Minutes until it expires.") var minutes = 60
        @OptionGroup var options: UserCommand.DataOption

        func run() async throws {
            guard (1...525_600).contains(minutes) else { throw CLIError("--minutes is from 1 to 525600") }
            let security = try options.security()
            guard let found = try security.users.user(named: user), !found.disabled else { throw SecurityError.unknownUser(user) }
            let token = JWT.sign(user: user, validFor: .seconds(minutes * 60), key: try security.users.signingKey())
            try security.audit.append(.administration, actor: localActor(), source: "local", subject: user, detail: "JWT issued (\(minutes) minutes)")
            print(token)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token for a user; it is printed once and kept only as its SHA-256.",
            discussion: "Example:\n  lifeboat token create ohif --label \"OHIF viewer\" --days 365")
        @Argument(help: "The user it acts as.") var user: String
        @Option(help: "What it is for.") var label = ""
        @Option(help: "Days until it expires (0: never).") var days = 90
        @OptionGroup var options: UserCommand.DataOption

        func run() async throws {
            let security = try options.security()
            let token = try security.users.createToken(for: user, label: label, validFor: days > 0 ? .seconds(days * 86400) : nil)
            try security.audit.append(.administration, actor: localActor(), source: "local", subject: user,
                                      detail: "token \(token.id) created (\(label.isEmpty ? "no label" : label), \(days > 0 ? "\(days) days" : "no expiry"))")
            print(token.secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).", discussion: "Example:\n  lifeboat token list")
        @OptionGroup var options: UserCommand.DataOption

        func run() async throws {
            print(["Token", "User", "Label", "Created", "Expires"].joined(separator: "\t"))
            for token in try options.security().users.tokens() {
                print([token.id, token.user, token.label, token.createdAt, token.expiresAt ?? "never"].joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once.", discussion: "Example:\n  lifeboat token revoke 3f9a0c2b71de")
        @Argument(help: "The token's id, as token list shows it.") var id: String
        @OptionGroup var options: UserCommand.DataOption

        func run() async throws {
            let security = try options.security()
            try security.users.revokeToken(id: id)
            try security.audit.append(.administration, actor: localActor(), source: "local", subject: id, detail: "token revoked")
            print("revoked \(id)")
        }
    }
}
