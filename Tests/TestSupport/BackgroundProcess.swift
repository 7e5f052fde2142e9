#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A peer program running beside a test (storescp, a pynetdicom SCP...), stopped by `stop()`.
public final class BackgroundProcess: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only read after; Process is thread-safe for terminate/wait.
    private let process: Process
    private let logFile: URL

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("lifeboat-peer-\(UUID()).log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw Subprocess.Failure(description: "cannot create \(logFile.path)")
        }
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// What the peer printed so far.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { process.isRunning }

    public var pid: Int32 { process.processIdentifier }

    /// Sends a signal (SIGTERM, SIGINT...).
    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Its exit status once it has exited within `seconds`; nil if it is still running.
    public func exitStatus(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The most memory the process has held resident since it started or since
    /// `resetPeakMemory` (VmHWM in /proc), in bytes.
    public var peakMemory: Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Starts `peakMemory` afresh from what the process holds now (clear_refs 5, Linux 4.0+).
    public func resetPeakMemory() { try? "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8) }

    /// Asks the peer to stop (SIGTERM), and kills it if it has not within two seconds.
    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logFile)
    }

    /// SIGKILL, as a power cut or the OOM killer would: no chance to tidy up.
    public func killAbruptly() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Loopback ports for peers.
public enum LoopbackPort {
    /// A port nothing listens on now (the kernel's choice for a bound-then-closed socket).
    public static func free() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on the port now.
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Polls until the port accepts connections, or fails after `seconds`.
    public static func waitUntilListening(_ port: Int, seconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !isListening(port) {
            guard Date() < deadline else { throw Subprocess.Failure(description: "nothing listened on port \(port) within \(seconds) s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
