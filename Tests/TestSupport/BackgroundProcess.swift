#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

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

    /// The same, waiting without holding a thread of the cooperative pool (a test that
    /// blocks one starves the others' timers on a 2-core machine).
    public func exitStatus(within seconds: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
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
            reap()
        }
        try? FileManager.default.removeItem(at: logFile)
    }

    /// Waits for the killed process. A Swift program that crashed is held by its swift-backtrace
    /// child until that has written the backtrace, and one was seen to hang there for good:
    /// after 10 s its children are killed too.
    private func reap() {
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            for child in Self.children(of: process.processIdentifier) { kill(child, SIGKILL) }
        }
        process.waitUntilExit()
    }

    /// The processes whose parent is `pid` (field 4 of /proc/N/stat).
    private static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let end = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        }
    }

    /// SIGKILL, as a power cut or the OOM killer would: no chance to tidy up.
    public func killAbruptly() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        reap()
    }

    deinit { stop() }
}

/// Loopback ports for peers.
public enum LoopbackPort {
    /// A port nothing listens on now, below the kernel's ephemeral range (32768–60999 on Linux):
    /// a port from that range, once its server is stopped, can be taken as the source port of
    /// some outgoing connection before the test starts the server again on it. Handed out in
    /// turn from a random start, so no two tests of one run get the same port.
    public static func free() -> Int {
        while true {
            let port = next.withLock { value in
                value = value >= 32767 ? 20000 : value + 1
                return value
            }
            if canBind(port) { return port }
        }
    }

    private static let next = Mutex(Int.random(in: 20000...32767))

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Whether something accepts connections on the port now. The probe hangs up with a reset
    /// (SO_LINGER 0), so it leaves no TIME_WAIT behind: a test that probes in a tight loop would
    /// otherwise hold every ephemeral port for a minute, and every other test's connect() fails.
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(fd)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Polls until the port accepts connections, or fails after `seconds`; with the `process`
    /// that should listen there, fails as soon as it exits, and says what it printed.
    public static func waitUntilListening(_ port: Int, seconds: Double = 20, of process: BackgroundProcess? = nil) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !isListening(port) {
            if let process, !process.isRunning {
                throw Subprocess.Failure(description: "the process for port \(port) exited: \(process.log.suffix(2000))")
            }
            guard Date() < deadline else {
                let log = process.map { ": it printed \($0.log.suffix(2000))" } ?? ""
                throw Subprocess.Failure(description: "nothing listened on port \(port) within \(seconds) s\(log)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
