import ArgumentParser
import LifeboatServer

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The configuration file.",
        subcommands: [Example.self]
    )

    struct Example: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a complete configuration file: every key, what it means, its default.",
            discussion: """
                Example:
                  lifeboat config example > /etc/lifeboat.yaml
                """
        )

        func run() { print(Configuration.example, terminator: "") }
    }
}
