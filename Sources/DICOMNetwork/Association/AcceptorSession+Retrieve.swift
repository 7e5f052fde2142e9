import DICOM
import NIOConcurrencyHelpers
import NIOCore

/// C-MOVE and C-GET (PS3.4 C.4.2, C.4.3): the instances an identifier names go out as
/// C-STORE sub-operations — to a configured node over an association of their own (C-MOVE)
/// or back over this one (C-GET) —, with a pending response after each that counts what
/// remains, what was completed, what failed and what warned.
extension AcceptorSession {
    mutating func startRetrieve(_ incoming: IncomingIdentifier, _ retrieve: QueryRetrieveRequest, sender: DIMSESender) async throws {
        let command = incoming.command
        let sopClass = retrieve.sopClassUID
        let isMove = command.field == .cMoveRequest
        guard let provider = services.retrieve, (isMove ? provider.moveSOPClasses : provider.getSOPClasses).contains(sopClass) else {
            return try await refuse(incoming, .sopClassNotSupported, "this retrieve model is not offered here")
        }
        guard let request = self.request else { return }
        var destination: DICOMNode?
        if isMove {
            let name = ((try? command.dataSet.string(.moveDestination)) ?? nil) ?? ""
            guard let title = AETitle(validating: name), let node = provider.destination(title, for: retrieve) else {
                return try await refuse(incoming, .moveDestinationUnknown,
                                        "move destination \"\(name)\" is not a known node, or not one \(retrieve.callingAETitle.value) may send to")
            }
            destination = node
        }
        let messageID = command.messageID ?? 0
        let responder = RetrieveResponder(field: incoming.responseField, sopClass: sopClass, messageID: messageID, sender: sender)
        let stop = NIOLockedValueBox(false)
        let (responses, continuation) = AsyncStream.makeStream(of: CommandSet.self)
        let ourTitle = policy.aeTitle
        let getContexts = isMove ? [] : Array(service.contexts.values).filter { context in
            // PS3.4 C.4.3.3: C-GET's C-STORE sub-operations go only where the SCU took the SCP role.
            request.userInformation.roleSelections.contains { $0.sopClassUID == context.abstractSyntax && $0.scpRole }
        }
        let task = Task {
            let instances: [RetrievableInstance]
            do {
                instances = try await provider.instances(for: retrieve)
            } catch {
                let outcome = (error as? ServiceError)?.outcome ?? ServiceOutcome(status: .unableToProcess, errorComment: "\(error)")
                try? await responder.finish(outcome.status, comment: outcome.errorComment, progress: SubOperationProgress(total: 0))
                provider.finished(retrieve, ending: RetrieveEnding(destination: destination?.aeTitle, counts: SubOperationCounts(), status: outcome.status,
                                                                    problem: outcome.errorComment))
                return
            }
            let progress = NIOLockedValueBox(SubOperationProgress(total: instances.count))
            // Each sub-operation's end is counted and told to the SCU in a pending response.
            @Sendable func record(_ instance: String, _ status: DIMSEStatus?, _ problem: String?, transcoded: String? = nil) async {
                let counts = progress.withLockedValue { progress in
                    progress.record(instance, status: status, problem: problem, transcoded: transcoded)
                    return progress.counts
                }
                try? await responder.pending(counts)
            }
            // Those the provider already knows cannot go fail first, with its reason.
            for instance in instances where instance.problem != nil { await record(instance.sopInstanceUID, nil, instance.problem) }
            let sendable = instances.filter { $0.problem == nil }
            if let destination {
                let files = FileSender(configuration: .init(host: destination.host, port: destination.port, callingAETitle: ourTitle,
                                                            calledAETitle: destination.aeTitle),
                                       moveOriginator: (request.callingAETitle, messageID))
                let byPath = Dictionary(sendable.map { ($0.path, $0) }) { first, _ in first }
                _ = await files.send(sendable.map(\.path), shouldStop: { stop.withLockedValue { $0 } },
                                     check: { path in
                                         guard let instance = byPath[path] else { return nil }
                                         return await provider.check(instance)
                                     }) { outcome in
                    await record(outcome.sopInstanceUID ?? "", outcome.status, outcome.problem, transcoded: outcome.transcoded)
                }
            } else {
                var replies = responses.makeAsyncIterator()
                var nextID: UInt16 = 1
                for instance in sendable where !stop.withLockedValue({ $0 }) {
                    let (status, problem, transcoded) = if let problem = await provider.check(instance) {
                        (DIMSEStatus?.none, Optional(problem), String?.none)
                    } else {
                        await Self.store(instance, contexts: getContexts, sender: sender, messageID: nextID, replies: &replies)
                    }
                    nextID &+= 1
                    await record(instance.sopInstanceUID, status, problem, transcoded: transcoded)
                }
            }
            let finalProgress = progress.withLockedValue { $0 }
            let status = stop.withLockedValue { $0 } ? DIMSEStatus.cancel : finalProgress.finalStatus
            try? await responder.finish(status, comment: finalProgress.firstProblem, progress: finalProgress)
            var ending = RetrieveEnding(destination: destination?.aeTitle, counts: finalProgress.counts, status: status,
                                        failures: finalProgress.failures, transcoded: finalProgress.transcoded)
            ending.instances = instances
            provider.finished(retrieve, ending: ending)
        }
        start(RunningOperation(messageID: messageID, task: task, stop: stop, responses: isMove ? nil : continuation))
    }

    /// One C-GET sub-operation: a C-STORE-RQ over this association on a context of the
    /// instance's SOP class and transfer syntax (or decoded, on an uncompressed one), and the
    /// status of its C-STORE-RSP — nil when it could not be sent or no response came —, its
    /// problem, and how the copy was transcoded if it was.
    private static func store(_ instance: RetrievableInstance, contexts: [AcceptorPolicy.AcceptedContext], sender: DIMSESender, messageID: UInt16,
                              replies: inout AsyncStream<CommandSet>.Iterator) async -> (DIMSEStatus?, String?, String?) {
        var command = CommandSet(.cStoreRequest, messageID: messageID)
        var transcoded: String?
        command.set(.affectedSOPClassUID, uid: instance.sopClassUID)
        command.set(.affectedSOPInstanceUID, uid: instance.sopInstanceUID)
        command.set(.priority, 0)
        if let context = contexts.first(where: { $0.abstractSyntax == instance.sopClassUID && $0.transferSyntax == instance.transferSyntaxUID }) {
            let prepared: FileSender.Prepared
            switch FileSender.prepare(instance.path) {
            case .success(let file): prepared = file
            case .failure(let unsendable): return (nil, unsendable.problem, nil)
            }
            do {
                try await sender.on(context).send(command, dataSetOf: try OpenFile(path: prepared.path), from: prepared.dataSetOffset)
            } catch {
                return (nil, "\(error)", nil)
            }
        } else {
            switch await storeUncompressed(instance, contexts: contexts, command: command, sender: sender) {
            case .failure(let problem): return (nil, problem.description, nil)
            case .success(let summary): transcoded = summary
            }
        }
        while let reply = await replies.next() {
            guard reply.field == .cStoreResponse, reply.messageIDBeingRespondedTo == messageID else { continue }
            return (reply.status.map(DIMSEStatus.init(rawValue:)), reply.errorComment, transcoded)
        }
        return (nil, "the association ended before the C-STORE response", transcoded)
    }
}

/// Counts sub-operations as they end (PS3.4 C.4.2.1.4, C.4.3.1.4).
struct SubOperationProgress: Sendable {
    private(set) var counts: SubOperationCounts
    private(set) var failedInstances: [String] = []
    private(set) var firstProblem: String?
    /// Why each failed, and how each transcoded copy was made, by SOP Instance UID.
    private(set) var failures: [String: String] = [:]
    private(set) var transcoded: [String: String] = [:]

    init(total: Int) { counts = SubOperationCounts(remaining: total) }

    /// A sub-operation ended with `status` (nil: it never got one).
    mutating func record(_ sopInstanceUID: String, status: DIMSEStatus?, problem: String?, transcoded copy: String? = nil) {
        counts.remaining -= 1
        if let copy, status != nil { transcoded[sopInstanceUID] = copy }
        switch status?.category {
        case .success: counts.completed += 1
        case .warning: counts.warning += 1
        default:
            counts.failed += 1
            failedInstances.append(sopInstanceUID)
            failures[sopInstanceUID] = problem ?? status.map { "sub-operation status \($0)" } ?? "not sent"
            if firstProblem == nil { firstProblem = problem ?? status.map { "sub-operation status \($0)" } }
        }
    }

    /// PS3.4 C.4.2.1.5: Success when every one completed, A702 when none could be, B000
    /// when some failed or warned.
    var finalStatus: DIMSEStatus {
        if counts.failed == 0 && counts.warning == 0 { return .success }
        if counts.failed > 0 && counts.completed == 0 && counts.warning == 0 { return .unableToPerformSubOperations }
        return .subOperationsCompleteWithFailures
    }
}

/// The responses of one C-MOVE or C-GET.
struct RetrieveResponder: Sendable {
    let field: CommandField
    let sopClass: String
    let messageID: UInt16
    let sender: DIMSESender


    private func response(_ status: DIMSEStatus, _ counts: SubOperationCounts, remaining: Bool) -> CommandSet {
        var response = CommandSet(field, respondingTo: messageID)
        response.set(.affectedSOPClassUID, uid: sopClass)
        response.set(.status, status.rawValue)
        if remaining { response.set(.numberOfRemainingSuboperations, UInt16(clamping: counts.remaining)) }
        response.set(.numberOfCompletedSuboperations, UInt16(clamping: counts.completed))
        response.set(.numberOfFailedSuboperations, UInt16(clamping: counts.failed))
        response.set(.numberOfWarningSuboperations, UInt16(clamping: counts.warning))
        return response
    }

    func pending(_ counts: SubOperationCounts) async throws {
        try await sender.send(response(.pending, counts, remaining: true))
    }

    /// The final response; its identifier lists the instances that failed (PS3.4 C.4.2.1.4.2).
    func finish(_ status: DIMSEStatus, comment: String?, progress: SubOperationProgress) async throws {
        var final = response(status, progress.counts, remaining: status == .cancel)
        if let comment, status.category != .success { final.set(errorComment: comment) }
        var identifier: DataSet?
        if !progress.failedInstances.isEmpty {
            identifier = DataSet([DataElement(tag: Tag.failedSOPInstanceUIDList, vr: .UI, strings: progress.failedInstances)])
        }
        try await sender.send(final, dataSet: identifier)
    }
}
