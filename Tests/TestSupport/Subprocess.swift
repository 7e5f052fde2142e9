import Foundation

/// Runs a program to the end and keeps what it printed: real peers, helpers and the
/// `lifeboat` binary itself are run this way by the tests.
public struct Subprocess: Sendable {
    public let status: Int32
    public let output: Data
    public let errors: String

    public var text: String { String(decoding: output, as: UTF8.self) }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `executable` (a path, or a name looked up on PATH) with `arguments`, and
    /// `environment` added to this process's.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Subprocess {
        let process = Process()
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        // stderr goes to a file, so that neither stream can fill a pipe and stall the child.
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-stderr-\(UUID())")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else { throw Failure(description: "cannot create \(errorFile.path)") }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errorHandle
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errorHandle.close()
        let errorData = (try? Data(contentsOf: errorFile)) ?? Data()
        return Subprocess(status: process.terminationStatus, output: out, errors: String(decoding: errorData, as: UTF8.self))
    }

    /// The same, from async code: the waiting happens on a thread of its own, so that
    /// in-process servers keep the cooperative pool while a peer runs.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Subprocess {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment) as Subprocess })
            }
        }
    }

    /// Only the lines of a peer's log that say something went wrong (dcmtk's E: and F:).
    public var failures: String {
        (text + "\n" + errors).split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("F:") }.joined(separator: "\n")
    }

    /// Runs and requires a zero exit status.
    public static func succeed(_ executable: String, _ arguments: [String], hint: String = "") throws -> Subprocess {
        try required(try run(executable, arguments), executable, arguments, hint: hint)
    }

    /// The same, from async code: waited for on a thread of its own, never a cooperative one
    /// (two tests blocking the pool's two threads on a slow helper stall every other test).
    public static func succeed(_ executable: String, _ arguments: [String], hint: String = "") async throws -> Subprocess {
        try required(try await run(executable, arguments), executable, arguments, hint: hint)
    }

    private static func required(_ result: Subprocess, _ executable: String, _ arguments: [String], hint: String) throws -> Subprocess {
        guard result.status == 0 else {
            throw Failure(description: "\(executable) \(arguments.first ?? "") exited \(result.status)\(hint.isEmpty ? "" : " (\(hint))"): \(result.errors)")
        }
        return result
    }
}

/// The test files pydicom ships. The README's test command installs pydicom.
public enum PydicomData {
    public static func directory() throws -> String {
        try Subprocess.succeed("python3", ["-c", "import os, pydicom; print(os.path.join(os.path.dirname(pydicom.__file__), 'data'))"],
                               hint: "is pydicom installed? Scripts/test.sh installs it").text
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every file under test_files/ and charset_files/, relative to the data directory.
    public static func corpus() throws -> (root: String, files: [String]) {
        let root = try directory()
        var files: [String] = []
        for folder in ["test_files", "charset_files"] {
            let enumerator = FileManager.default.enumerator(atPath: "\(root)/\(folder)")
            while let name = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(root)/\(folder)/\(name)", isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append("\(folder)/\(name)")
                }
            }
        }
        return (root, files.sorted())
    }
}
