@testable import DICOMNetwork
import NIOCore
import Testing

/// The DIMSE service layer's events and actions, without a socket: each request from its
/// command to its answer, a C-CANCEL at every point of an operation's life, and the idle limit.
@Suite struct ServiceLayerMachineTests {
    typealias Action = ServiceLayerMachine.Action
    typealias Request = ServiceLayerMachine.Request

    static let ctImage = "1.2.840.10008.5.1.4.1.1.2"
    static let studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"
    static let verification = "1.2.840.10008.1.1"
    static let implicitLE = "1.2.840.10008.1.2"

    /// An association that accepted CT storage on 1, Study Root C-FIND on 3, Verification on 5.
    static func established() -> ServiceLayerMachine {
        ServiceLayerMachine(contexts: [
            1: .init(id: 1, abstractSyntax: ctImage, transferSyntax: implicitLE),
            3: .init(id: 3, abstractSyntax: studyRootFind, transferSyntax: implicitLE),
            5: .init(id: 5, abstractSyntax: verification, transferSyntax: implicitLE),
        ])
    }

    /// A command as it reads off the wire: with its group length, as the machine hands it on.
    static func wire(_ command: CommandSet) -> CommandSet { try! CommandSet(decoding: command.encoded()) }

    static func command(_ command: CommandSet, context: UInt8) throws -> PresentationDataValue {
        PresentationDataValue(presentationContextID: context, isCommand: true, isLastFragment: true, fragment: ByteBuffer(bytes: try command.encoded()))
    }

    static func data(_ bytes: [UInt8], context: UInt8, last: Bool) -> PresentationDataValue {
        PresentationDataValue(presentationContextID: context, isCommand: false, isLastFragment: last, fragment: ByteBuffer(bytes: bytes))
    }

    static func store(_ id: UInt16, sopClass: String = ctImage) -> CommandSet {
        var command = CommandSet(.cStoreRequest, messageID: id)
        command.set(.affectedSOPClassUID, uid: sopClass)
        command.set(.affectedSOPInstanceUID, uid: "1.2.3.\(id)")
        command.hasDataSet = true
        return wire(command)
    }

    static func find(_ id: UInt16) -> CommandSet {
        var command = CommandSet(.cFindRequest, messageID: id)
        command.set(.affectedSOPClassUID, uid: studyRootFind)
        command.hasDataSet = true
        return wire(command)
    }

    static func cancel(_ id: UInt16) -> CommandSet { CommandSet(.cCancelRequest, respondingTo: id) }

    /// The code of the violation the actions abort for, after ending the operations.
    static func abortCode(_ actions: [Action]) -> DIMSEError.Code? {
        guard actions.count == 2, actions[0] == .endOperations, case .abort(let error) = actions[1] else { return nil }
        return error.code
    }

    /// A C-FIND whose identifier has arrived: the operation runs as message `id`.
    static func running(_ id: UInt16 = 7) throws -> ServiceLayerMachine {
        var machine = established()
        #expect(machine.received(try command(find(id), context: 3)) == [.requestTaken])
        #expect(machine.received(data([0x08, 0x00, 0x52, 0x00, 0x06, 0x00, 0x00, 0x00] + Array("STUDY ".utf8), context: 3, last: true))
            == [.perform(Request(command: find(id), contextID: 3, responseField: .cFindResponse), identifier: [0x08, 0x00, 0x52, 0x00, 0x06, 0x00, 0x00, 0x00] + Array("STUDY ".utf8))])
        #expect(machine.runningOperation == id)
        return machine
    }

    @Test func anEchoIsAnsweredAtOnce() throws {
        var machine = Self.established()
        let echo = Self.wire(CommandSet(.cEchoRequest, messageID: 1))
        #expect(machine.received(try Self.command(echo, context: 5)) == [.requestTaken, .respond(Request(command: echo, contextID: 5, responseField: .cEchoResponse), .success)])
    }

    @Test func aStoreStreamsEachFragmentThenFinishesOnceTheLastIsWritten() throws {
        var machine = Self.established()
        let request = Request(command: Self.store(1), contextID: 1, responseField: .cStoreResponse)
        #expect(machine.received(try Self.command(Self.store(1), context: 1)) == [.requestTaken, .beginStore(request)])
        #expect(machine.received(Self.data([1, 2], context: 1, last: false)) == [.write(ByteBuffer(bytes: [1, 2]), isLast: false)])
        #expect(machine.lastFragmentWritten() == [], "the store is not finished before its last fragment")
        #expect(machine.received(Self.data([3], context: 1, last: true)) == [.write(ByteBuffer(bytes: [3]), isLast: true)])
        #expect(machine.lastFragmentWritten() == [.finishStore(request)])
        #expect(machine.lastFragmentWritten() == [], "finished once")
    }

    @Test func aStoreThatFailsDropsTheRestAndIsAnsweredWhenItHasAllArrived() throws {
        var machine = Self.established()
        let request = Request(command: Self.store(1), contextID: 1, responseField: .cStoreResponse)
        let full = ServiceOutcome(status: .outOfResources, errorComment: "disk full")
        _ = machine.received(try Self.command(Self.store(1), context: 1))
        #expect(machine.storeFailed(full) == [.dropStore])
        #expect(machine.received(Self.data([1], context: 1, last: false)) == [], "dropped, not written")
        #expect(machine.received(Self.data([2], context: 1, last: true)) == [.respond(request, full)])
    }

    @Test func aStoreWhoseLastWriteFailsIsAnsweredWithTheFailure() throws {
        var machine = Self.established()
        let request = Request(command: Self.store(1), contextID: 1, responseField: .cStoreResponse)
        let broken = ServiceOutcome(status: .processingFailure, errorComment: "truncated")
        _ = machine.received(try Self.command(Self.store(1), context: 1))
        _ = machine.received(Self.data([1], context: 1, last: true))
        #expect(machine.storeFailed(broken) == [.dropStore, .respond(request, broken)])
        #expect(machine.lastFragmentWritten() == [], "never finished as well as failed")
    }

    @Test func aStoreOfAnotherSOPClassIsRefusedOnceItsDataSetHasArrived() throws {
        var machine = Self.established()
        let mr = Self.store(1, sopClass: "1.2.840.10008.5.1.4.1.1.4")
        #expect(machine.received(try Self.command(mr, context: 1)) == [.requestTaken])
        #expect(machine.received(Self.data([1], context: 1, last: false)) == [])
        let answer = machine.received(Self.data([2], context: 1, last: true))
        guard case .respond(let request, let outcome) = answer.first else { Issue.record("expected a response, got \(answer)"); return }
        #expect(request.command == mr && outcome.status == .sopClassNotSupported) // PS3.4 B.2.3
    }

    @Test func anIdentifierLargerThanTheLimitIsRefusedNotKept() throws {
        var machine = Self.established()
        _ = machine.received(try Self.command(Self.find(2), context: 3))
        let chunk = [UInt8](repeating: 0x20, count: ServiceLayerMachine.maximumIdentifierLength / 2 + 1)
        #expect(machine.received(Self.data(chunk, context: 3, last: false)) == [])
        #expect(machine.received(Self.data(chunk, context: 3, last: false)) == [])
        let answer = machine.received(Self.data([0], context: 3, last: true))
        guard case .respond(_, let outcome) = answer.first else { Issue.record("expected a refusal, got \(answer)"); return }
        #expect(outcome.status == .unableToProcess)
        #expect(machine.runningOperation == nil)
    }

    @Test func aRequestWhileAnOperationRunsWaitsForIt() throws {
        var machine = try Self.running(7)
        let echo = Self.wire(CommandSet(.cEchoRequest, messageID: 8))
        #expect(machine.received(try Self.command(echo, context: 5))
            == [.awaitOperation, .requestTaken, .respond(Request(command: echo, contextID: 5, responseField: .cEchoResponse), .success)])
        #expect(machine.runningOperation == nil)
    }

    @Test func responsesFromThePeerGoToTheRunningOperationOnly() throws {
        var idle = Self.established()
        let response = Self.wire(CommandSet(.cStoreResponse, respondingTo: 1))
        #expect(idle.received(try Self.command(response, context: 1)) == [], "nothing is waiting for it")
        var machine = try Self.running(7)
        #expect(machine.received(try Self.command(response, context: 1)) == [.forward(response)])
    }

    // MARK: C-CANCEL at each point (PS3.7 9.3.2.3)

    @Test func aCancelBeforeAnyRequestNamesNothingAndAborts() throws {
        var machine = Self.established()
        #expect(Self.abortCode(machine.received(try Self.command(Self.cancel(7), context: 3))) == .unknownRequest)
        #expect(machine.hasEnded)
        #expect(machine.received(try Self.command(CommandSet(.cEchoRequest, messageID: 1), context: 5)) == [], "nothing after the abort")
    }

    @Test func aCancelInsideTheRequestsDataSetIsOutOfSequence() throws {
        var machine = Self.established()
        _ = machine.received(try Self.command(Self.find(7), context: 3))
        _ = machine.received(Self.data([0x08, 0x00], context: 3, last: false))
        // PS3.8 E.2: the request is not whole until its data set's last fragment.
        #expect(Self.abortCode(machine.received(try Self.command(Self.cancel(7), context: 3))) == .outOfSequence)
    }

    @Test func aCancelWhileTheOperationRunsStopsIt() throws {
        var machine = try Self.running(7)
        #expect(machine.received(try Self.command(Self.cancel(7), context: 3)) == [.stopOperation])
        #expect(machine.received(try Self.command(Self.cancel(7), context: 3)) == [.stopOperation], "a second cancel asks again, harmlessly")
        #expect(!machine.hasEnded)
    }

    @Test func aCancelThatCrossedTheLastResponseIsIgnored() throws {
        var machine = try Self.running(7)
        #expect(machine.operationFinished() == [])
        #expect(machine.received(try Self.command(Self.cancel(7), context: 3)) == [])
        #expect(!machine.hasEnded)
    }

    @Test func aCancelOfAnEarlierRequestLeavesTheRunningOneAlone() throws {
        var machine = try Self.running(7)
        _ = machine.received(try Self.command(Self.find(8), context: 3))
        _ = machine.received(Self.data([], context: 3, last: true))
        #expect(machine.runningOperation == 8)
        #expect(machine.received(try Self.command(Self.cancel(7), context: 3)) == [])
        #expect(machine.received(try Self.command(Self.cancel(8), context: 3)) == [.stopOperation])
    }

    @Test func aCancelOfAStoreAlreadyAnsweredIsIgnored() throws {
        var machine = Self.established()
        _ = machine.received(try Self.command(Self.store(4), context: 1))
        _ = machine.received(Self.data([1], context: 1, last: true))
        _ = machine.lastFragmentWritten()
        #expect(machine.received(try Self.command(Self.cancel(4), context: 1)) == [])
    }

    @Test func aCancelWithADataSetAborts() throws {
        var machine = try Self.running(7)
        var cancel = Self.cancel(7)
        cancel.hasDataSet = true
        #expect(Self.abortCode(machine.received(try Self.command(cancel, context: 3))) == .unknownRequest)
    }

    // MARK: The idle limit, the end of the association, violations

    @Test func anIdleAssociationIsAbortedByThisServiceUser() throws {
        var machine = Self.established()
        #expect(machine.idleExpired() == [.endOperations, .abortIdle])
        #expect(machine.idleExpired() == [], "aborted once")
        #expect(machine.received(try Self.command(CommandSet(.cEchoRequest, messageID: 1), context: 5)) == [])
    }

    @Test func aPeerSilentInTheMiddleOfAStoreIsAbortedAndTheStoreDropped() throws {
        var machine = Self.established()
        _ = machine.received(try Self.command(Self.store(1), context: 1))
        _ = machine.received(Self.data([1], context: 1, last: false))
        #expect(machine.idleExpired() == [.endOperations, .abortIdle])
        #expect(machine.lastFragmentWritten() == [], "the dropped store is never finished")
    }

    @Test func aReleaseWithAnOperationOutstandingEndsIt() throws {
        var machine = try Self.running(7)
        #expect(machine.associationEnding() == [.endOperations])
        #expect(machine.runningOperation == nil)
        #expect(machine.idleExpired() == [], "a released association is not aborted for idleness")
    }

    @Test func dataOnAContextNeverAcceptedAborts() throws {
        var machine = Self.established()
        #expect(Self.abortCode(machine.received(Self.data([1], context: 9, last: true))) == .unacceptedContext)
    }

    @Test func dataWithNoCommandBeforeItAborts() throws {
        var machine = Self.established()
        #expect(Self.abortCode(machine.received(Self.data([1], context: 1, last: true))) == .outOfSequence)
    }

    @Test func aServiceNotOfferedIsRefusedAfterItsDataSet() throws {
        var machine = Self.established()
        var set = CommandSet(.nSetRequest, messageID: 3)
        set.hasDataSet = true
        #expect(machine.received(try Self.command(set, context: 1)) == [.requestTaken])
        let answer = machine.received(Self.data([1], context: 1, last: true))
        guard case .respond(let request, let outcome) = answer.first else { Issue.record("expected a refusal, got \(answer)"); return }
        #expect(request.responseField == .nSetResponse && outcome.status == .unrecognizedOperation)
    }
}
