import DICOM
import NIOCore
import NIOPosix

/// Sends Part 10 files by C-STORE: presentation contexts proposed from the files' own SOP
/// classes and transfer syntaxes, many files per association, the data set bytes streamed
/// from the file unchanged.
public struct FileSender: Sendable {
    public struct Outcome: Sendable, Equatable {
        public let path: String
        public let sopInstanceUID: String?
        public let bytes: Int
        /// nil when the file never reached the peer.
        public let status: DIMSEStatus?
        public let problem: String?
        /// Something about the file the sender should hear of, even though it went.
        public var warning: String? = nil
        /// How the copy sent differs from the stored file, when the peer could not take it as
        /// stored (`UncompressedCopy.summary`); nil when the stored bytes went.
        public var transcoded: String? = nil
        /// Not sent because this peer cannot be given it as things stand (no context it
        /// accepted fits, and no copy it takes can be made): trying again will not help.
        public var unsendable = false

        public var succeeded: Bool { status.map { $0.category == .success || $0.category == .warning } ?? false }
    }

    /// A file that cannot be sent, and why.
    public struct Unsendable: Error {
        public let path: String
        public let problem: String
        public var outcome: Outcome { Outcome(path: path, sopInstanceUID: nil, bytes: 0, status: nil, problem: problem) }
    }

    /// A file ready to send.
    public struct Prepared: Sendable {
        public let path: String
        public let sopClassUID: String
        public let sopInstanceUID: String
        public let transferSyntaxUID: String
        let dataSetOffset: Int
        let size: Int
        /// Its file meta information named another SOP class or instance than its data set.
        public var warning: String? = nil

        /// The presentation context it goes on: its SOP class in its own transfer syntax.
        public var context: ContextKey { ContextKey(sopClassUID: sopClassUID, transferSyntaxUID: transferSyntaxUID) }
    }

    /// One (SOP class, transfer syntax) pair: a presentation context to propose.
    public struct ContextKey: Sendable, Hashable {
        public let sopClassUID: String
        public let transferSyntaxUID: String
    }

    public let configuration: RequestorAssociation.Configuration
    /// When the stores are C-MOVE sub-operations: the AE that asked for the move and its
    /// request's message ID, which every C-STORE-RQ carries (PS3.7 9.1.1.1).
    public let moveOriginator: (aeTitle: AETitle, messageID: UInt16)?

    public init(configuration: RequestorAssociation.Configuration, moveOriginator: (aeTitle: AETitle, messageID: UInt16)? = nil) {
        self.configuration = configuration
        self.moveOriginator = moveOriginator
    }

    /// Reads what a file must say to be sent: its SOP class and instance, its transfer
    /// syntax and where its data set starts.
    public static func prepare(_ path: String) -> Swift.Result<Prepared, Unsendable> {
        let failed = { (why: String) in Swift.Result<Prepared, Unsendable>.failure(Unsendable(path: path, problem: why)) }
        let file: DICOMFile
        let size: Int
        do {
            let open = try OpenFile(path: path)
            size = open.size
            file = try DICOMFile(file: open, options: .headerOnly)
        } catch {
            return failed("\(error)")
        }
        // The data set's own UIDs are what the C-STORE names (a receiver checks them against
        // it), as dcmtk's storescu does; the meta group's only stand in when it has none.
        let (metaClass, metaInstance) = (file.fileMeta.uid(.mediaStorageSOPClassUID), file.fileMeta.uid(.mediaStorageSOPInstanceUID))
        guard let sopClass = file.dataSet.uid(.sopClassUID) ?? metaClass, let instance = file.dataSet.uid(.sopInstanceUID) ?? metaInstance else {
            return failed("no SOP class or instance UID")
        }
        var warnings: [String] = []
        if let metaInstance, metaInstance != instance {
            warnings.append("its file meta information names SOP instance \(metaInstance), its data set \(instance): sent as the data set's")
        }
        if let metaClass, metaClass != sopClass {
            warnings.append("its file meta information names SOP class \(metaClass), its data set \(sopClass): sent as the data set's")
        }
        let offset = 132 + file.fileMeta.encodedLength(explicitVR: true)
        return .success(Prepared(path: path, sopClassUID: sopClass, sopInstanceUID: instance, transferSyntaxUID: file.transferSyntax.uid,
                                 dataSetOffset: offset, size: size, warning: warnings.isEmpty ? nil : warnings.joined(separator: "; ")))
    }

    /// Sends `paths` over one association at a time, at most 127 presentation contexts
    /// each; `progress` is called after every file. `check` is asked just before each file
    /// goes: a reason it gives fails the file unsent. Once `shouldStop` says so, no further
    /// file is sent (those left have no outcome).
    public func send(_ paths: [String], shouldStop: @Sendable () -> Bool = { false }, check: @escaping @Sendable (String) async -> String? = { _ in nil },
                     progress: @Sendable (Outcome) async -> Void = { _ in }) async -> [Outcome] {
        var results: [Outcome] = []
        var ready: [Prepared] = []
        for path in paths {
            switch Self.prepare(path) {
            case .success(let prepared): ready.append(prepared)
            case .failure(let unsendable):
                results.append(unsendable.outcome)
                await progress(unsendable.outcome)
            }
        }
        while !ready.isEmpty && !shouldStop() {
            let keys = Self.contextKeys(ready, limit: 127)
            let proposed = Set(keys)
            let batch = ready.filter { proposed.contains($0.context) }
            ready.removeAll { proposed.contains($0.context) }
            results += await sendBatch(batch, contexts: Self.contexts(for: keys), shouldStop: shouldStop, check: check, progress: progress)
        }
        return results
    }

    /// Sends a batch over associations until every file has an outcome: when the peer
    /// aborts or the connection drops, the file in flight fails and the rest go over a new
    /// association; a batch that cannot even be associated fails whole.
    private func sendBatch(_ batch: [Prepared], contexts: [ProposedPresentationContext], shouldStop: @Sendable () -> Bool,
                           check: @escaping @Sendable (String) async -> String?, progress: @Sendable (Outcome) async -> Void) async -> [Outcome] {
        var results: [Outcome] = []
        var remaining = batch[...]
        while !remaining.isEmpty && !shouldStop() {
            let before = results.count
            do {
                try await RequestorAssociation.withAssociation(configuration, proposing: contexts) { association in
                    let outcomes = await send(Array(remaining), over: association, shouldStop: shouldStop, check: check, progress: progress)
                    remaining = remaining.dropFirst(outcomes.count)
                    results += outcomes
                    if association.isBroken { throw AssociationError.closed(outcomes.last?.problem ?? "") }
                }
            } catch {
                if results.count == before {
                    // Not one file went through: the association itself fails; so do they all.
                    let problem = Self.describe(error, configuration)
                    for file in remaining {
                        let result = Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: 0, status: nil, problem: problem)
                        results.append(result)
                        await progress(result)
                    }
                    remaining = []
                }
            }
        }
        return results
    }

    /// Sends `files` in order over an open association until they are all sent, `shouldStop`
    /// says so, or the association breaks (the file in flight then fails; those after it have
    /// no outcome). A file whose context the association lacks fails unsent.
    public func send(_ files: [Prepared], over association: RequestorAssociation, shouldStop: @Sendable () -> Bool = { false },
                     check: @escaping @Sendable (String) async -> String? = { _ in nil },
                     progress: @Sendable (Outcome) async -> Void = { _ in }) async -> [Outcome] {
        var results: [Outcome] = []
        var checking: (path: String, task: Task<String?, Never>)?
        for (index, file) in files.enumerated() {
            guard !shouldStop(), !association.isBroken else { break }
            // The next files are read from the disk while this one is sent.
            for next in files.dropFirst(index + 1).prefix(2) { (try? OpenFile(path: next.path))?.willNeed() }
            let problem = if let checking, checking.path == file.path { await checking.task.value } else { await check(file.path) }
            // The next file is checked while this one is sent.
            checking = files.dropFirst(index + 1).first.map { next in (next.path, Task { await check(next.path) }) }
            let result: Outcome
            if let problem {
                result = Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: 0, status: nil, problem: problem)
            } else {
                result = await send(file, over: association)
            }
            results.append(result)
            await progress(result)
        }
        return results
    }

    /// Why an association could not be had, short enough for an Error Comment (64 characters).
    public static func describe(_ error: any Error, _ configuration: RequestorAssociation.Configuration) -> String {
        let peer = "\(configuration.calledAETitle.value) at \(configuration.host):\(configuration.port)"
        if let connection = error as? NIOConnectionError, let io = connection.connectionErrors.first?.error as? IOError {
            return "\(peer) unreachable: \(String(cString: strerror(io.errnoCode)))"
        }
        if error is NIOConnectionError || error is ChannelError { return "\(peer) unreachable: \(error)" }
        return "\(peer): \(error)"
    }

    private func send(_ file: Prepared, over association: RequestorAssociation) async -> Outcome {
        guard let id = association.accepted.first(where: { $0.value == (file.sopClassUID, file.transferSyntaxUID) })?.key else {
            return await sendUncompressed(file, over: association)
        }
        do {
            let open = try OpenFile(path: file.path)
            var offset = file.dataSetOffset
            let (status, comment) = try await association.store(sopClassUID: file.sopClassUID, sopInstanceUID: file.sopInstanceUID, contextID: id,
                                                                moveOriginator: moveOriginator) {
                guard offset < open.size else { return nil }
                let chunk = try open.readBuffer(at: offset, upTo: 1 << 20)
                guard chunk.readableBytes > 0 else { return nil }
                offset += chunk.readableBytes
                return chunk
            }
            return Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: file.size - file.dataSetOffset, status: status, problem: comment,
                           warning: file.warning)
        } catch {
            association.markBroken()
            return Outcome(path: file.path, sopInstanceUID: file.sopInstanceUID, bytes: 0, status: nil, problem: "\(error)")
        }
    }
}
