import ArgumentParser

@main
struct Lifeboat: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "lifeboat",
        abstract: "A DICOM archive that never loses an acknowledged image.",
        discussion: """
            Examples:
              lifeboat dump image.dcm
              lifeboat dump --json image.dcm
            """,
        version: version,
        subcommands: [Dump.self]
    )
}
