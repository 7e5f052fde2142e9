@testable import DICOMNetwork
import NIOCore
import Testing

/// The upper layer state machine without sockets: every cell of PS3.8 table 9-10.
@Suite struct StateMachineTests {
    /// PS3.8 table 9-10, written out as the standard prints it: per event, the state and action
    /// of each filled cell.
    static let standardTable: [Int: String] = [
        1: "1 AE-1",
        2: "4 AE-2",
        3: "2 AA-1, 3 AA-8, 5 AE-3, 6 AA-8, 7 AA-8, 8 AA-8, 9 AA-8, 10 AA-8, 11 AA-8, 12 AA-8, 13 AA-6",
        4: "2 AA-1, 3 AA-8, 5 AE-4, 6 AA-8, 7 AA-8, 8 AA-8, 9 AA-8, 10 AA-8, 11 AA-8, 12 AA-8, 13 AA-6",
        5: "1 AE-5",
        6: "2 AE-6, 3 AA-8, 5 AA-8, 6 AA-8, 7 AA-8, 8 AA-8, 9 AA-8, 10 AA-8, 11 AA-8, 12 AA-8, 13 AA-7",
        7: "3 AE-7",
        8: "3 AE-8",
        9: "6 DT-1, 8 AR-7",
        10: "2 AA-1, 3 AA-8, 5 AA-8, 6 DT-2, 7 AR-6, 8 AA-8, 9 AA-8, 10 AA-8, 11 AA-8, 12 AA-8, 13 AA-6",
        11: "6 AR-1",
        12: "2 AA-1, 3 AA-8, 5 AA-8, 6 AR-2, 7 AR-8, 8 AA-8, 9 AA-8, 10 AA-8, 11 AA-8, 12 AA-8, 13 AA-6",
        13: "2 AA-1, 3 AA-8, 5 AA-8, 6 AA-8, 7 AR-3, 8 AA-8, 9 AA-8, 10 AR-10, 11 AR-3, 12 AA-8, 13 AA-6",
        14: "8 AR-4, 9 AR-9, 12 AR-4",
        15: "3 AA-1, 4 AA-2, 5 AA-1, 6 AA-1, 7 AA-1, 8 AA-1, 9 AA-1, 10 AA-1, 11 AA-1, 12 AA-1",
        16: "2 AA-2, 3 AA-3, 5 AA-3, 6 AA-3, 7 AA-3, 8 AA-3, 9 AA-3, 10 AA-3, 11 AA-3, 12 AA-3, 13 AA-2",
        17: "2 AA-5, 3 AA-4, 4 AA-4, 5 AA-4, 6 AA-4, 7 AA-4, 8 AA-4, 9 AA-4, 10 AA-4, 11 AA-4, 12 AA-4, 13 AR-5",
        18: "2 AA-2, 13 AA-2",
        19: "2 AA-1, 3 AA-8, 5 AA-8, 6 AA-8, 7 AA-8, 8 AA-8, 9 AA-8, 10 AA-8, 11 AA-8, 12 AA-8, 13 AA-7",
    ]

    /// The state each action leads to (PS3.8 tables 9-6 to 9-9); AR-8 depends on the role.
    static func nextState(after action: UpperLayerAction, role: UpperLayerStateMachine.Role) -> UpperLayerState {
        switch action {
        case .ae1: .sta4
        case .ae2: .sta5
        case .ae3, .ae7, .dt1, .dt2: .sta6
        case .ae4, .ar3, .ar5, .aa2, .aa3, .aa4, .aa5: .sta1
        case .ae5: .sta2
        case .ae6: .sta3
        case .ae8, .ar4, .aa1, .aa6, .aa7, .aa8: .sta13
        case .ar1, .ar6: .sta7
        case .ar2, .ar7: .sta8
        case .ar8: role == .requestor ? .sta9 : .sta10
        case .ar9: .sta11
        case .ar10: .sta12
        }
    }

    static let request = PDUCodingTests.request
    static let accept = AssociateAccept(calledAETitle: "LIFEBOAT", callingAETitle: "MODALITY", presentationContexts: [],
                                        userInformation: UserInformation(maximumLength: 0, implementationClassUID: "1.2"))
    static let reject = AssociateReject(result: .permanent, reason: .serviceUser(.calledAETitleNotRecognized))
    static let data = PDataTF(values: [PresentationDataValue(presentationContextID: 1, isCommand: true, isLastFragment: true, fragment: ByteBuffer(bytes: [1, 2]))])

    /// Fires `event` with a representative payload.
    static func fire(_ event: UpperLayerEvent, on machine: inout UpperLayerStateMachine) throws -> UpperLayerStateMachine.Transition {
        switch event {
        case .evt1: try machine.requestAssociation(request)
        case .evt2: machine.transportConnected()
        case .evt3: machine.received(.associateAccept(accept))
        case .evt4: machine.received(.associateReject(reject))
        case .evt5: machine.transportAccepted()
        case .evt6: machine.received(.associateRequest(request))
        case .evt7: try machine.accept(accept)
        case .evt8: try machine.reject(reject)
        case .evt9: try machine.sendData(data)
        case .evt10: machine.received(.data(data))
        case .evt11: try machine.requestRelease()
        case .evt12: machine.received(.releaseRequest)
        case .evt13: machine.received(.releaseResponse)
        case .evt14: try machine.respondToRelease()
        case .evt15: try machine.abort()
        case .evt16: machine.received(.abort(.byServiceUser))
        case .evt17: machine.transportClosed()
        case .evt18: machine.artimExpired()
        case .evt19: machine.receivedInvalidPDU(PDUDecodingError(.unrecognizedPDU, "test"))
        }
    }

    @Test func everyCellOfTable9_10() throws {
        var cells = 0
        for event in UpperLayerEvent.allCases {
            var expected: [UpperLayerState: UpperLayerAction] = [:]
            for cell in Self.standardTable[event.rawValue]!.split(separator: ", ") {
                let parts = cell.split(separator: " ")
                expected[UpperLayerState(rawValue: Int(parts[0])!)!] = UpperLayerAction(rawValue: String(parts[1]))!
            }
            for state in UpperLayerState.allCases {
                for role in [UpperLayerStateMachine.Role.requestor, .acceptor] {
                    var machine = UpperLayerStateMachine(role: role, state: state, pendingRequest: Self.request)
                    #expect(StateTable.action(for: event, in: state) == expected[state], "\(event) in \(state)")
                    if let action = expected[state] {
                        let transition = try Self.fire(event, on: &machine)
                        #expect(transition.action == action, "\(event) in \(state)")
                        #expect(machine.state == Self.nextState(after: action, role: role), "\(event) in \(state) via \(action.rawValue)")
                        cells += 1
                    } else if [.evt1, .evt7, .evt8, .evt9, .evt11, .evt14, .evt15].contains(event) {
                        // A local primitive where the table has no cell is the caller's bug.
                        #expect(throws: UpperLayerStateMachine.InvalidPrimitive.self, "\(event) in \(state)") { try Self.fire(event, on: &machine) }
                        #expect(machine.state == state)
                    } else {
                        // A transport or PDU event where the table has no cell cannot happen; nothing is done.
                        #expect(try Self.fire(event, on: &machine) == .init(action: nil, outputs: []), "\(event) in \(state)")
                        #expect(machine.state == state)
                    }
                }
            }
        }
        #expect(cells == 2 * 123, "the 123 filled cells of table 9-10, for each role")
    }

    @Test func acceptorHappyPath() throws {
        var machine = UpperLayerStateMachine(role: .acceptor)
        #expect(machine.transportAccepted().outputs == [.startARTIM])
        #expect(machine.received(.associateRequest(Self.request)).outputs == [.stopARTIM, .indicate(.associateRequest(Self.request))])
        #expect(try machine.accept(Self.accept).outputs == [.send(.associateAccept(Self.accept))])
        #expect(machine.received(.data(Self.data)).outputs == [.indicate(.data(Self.data))])
        #expect(try machine.sendData(Self.data).outputs == [.send(.data(Self.data))])
        #expect(machine.received(.releaseRequest).outputs == [.indicate(.releaseRequested)])
        #expect(try machine.respondToRelease().outputs == [.send(.releaseResponse), .startARTIM])
        #expect(machine.transportClosed().outputs == [.stopARTIM])
        #expect(machine.state == .sta1)
    }

    @Test func requestorHappyPath() throws {
        var machine = UpperLayerStateMachine(role: .requestor)
        #expect(try machine.requestAssociation(Self.request).outputs == [.connect])
        #expect(machine.transportConnected().outputs == [.send(.associateRequest(Self.request))])
        #expect(machine.received(.associateAccept(Self.accept)).outputs == [.indicate(.associateAccepted(Self.accept))])
        #expect(try machine.requestRelease().outputs == [.send(.releaseRequest)])
        #expect(machine.received(.data(Self.data)).outputs == [.indicate(.data(Self.data))], "AR-6: data may still arrive")
        #expect(machine.received(.releaseResponse).outputs == [.indicate(.releaseConfirmed), .closeConnection])
        #expect(machine.state == .sta1)
    }

    @Test func rejectedRequest() throws {
        var machine = UpperLayerStateMachine(role: .requestor, state: .sta5)
        #expect(machine.received(.associateReject(Self.reject)).outputs == [.indicate(.associateRejected(Self.reject)), .closeConnection])
        var acceptor = UpperLayerStateMachine(role: .acceptor, state: .sta3)
        #expect(try acceptor.reject(Self.reject).outputs == [.send(.associateReject(Self.reject)), .startARTIM])
        #expect(acceptor.artimExpired().outputs == [.stopARTIM, .closeConnection], "a peer that never closes is cut off")
    }

    @Test func unsupportedProtocolVersionIsRejectedByTheProvider() {
        var machine = UpperLayerStateMachine(role: .acceptor, state: .sta2)
        var request = Self.request
        request.protocolVersion = 2
        let rejection = AssociateReject(result: .permanent, reason: .serviceProviderACSE(.protocolVersionNotSupported))
        #expect(machine.received(.associateRequest(request)).outputs == [.stopARTIM, .send(.associateReject(rejection)), .startARTIM])
        #expect(machine.state == .sta13)
    }

    @Test func protocolViolationsAbortWithTheProviderReason() {
        var established = UpperLayerStateMachine(role: .acceptor, state: .sta6)
        let unexpected = Abort(source: .serviceProvider(.unexpectedPDU))
        #expect(established.received(.associateRequest(Self.request)).outputs == [.send(.abort(unexpected)), .indicate(.providerAborted(.unexpectedPDU)), .startARTIM])
        var garbled = UpperLayerStateMachine(role: .acceptor, state: .sta6)
        let invalid = Abort(source: .serviceProvider(.invalidPDUParameterValue))
        #expect(garbled.receivedInvalidPDU(PDUDecodingError(.invalidPDUParameterValue, "x")).outputs == [.send(.abort(invalid)), .indicate(.providerAborted(.invalidPDUParameterValue)), .startARTIM])
        var waiting = UpperLayerStateMachine(role: .acceptor, state: .sta2)
        #expect(waiting.received(.data(Self.data)).outputs == [.send(.abort(.byServiceUser)), .startARTIM], "AA-1")
    }

    @Test func abortsFromThePeer() {
        var user = UpperLayerStateMachine(role: .acceptor, state: .sta6)
        #expect(user.received(.abort(.byServiceUser)).outputs == [.indicate(.aborted), .closeConnection])
        var provider = UpperLayerStateMachine(role: .acceptor, state: .sta6)
        #expect(provider.received(.abort(Abort(source: .serviceProvider(.unrecognizedPDU)))).outputs == [.indicate(.providerAborted(.unrecognizedPDU)), .closeConnection])
        var dropped = UpperLayerStateMachine(role: .acceptor, state: .sta6)
        #expect(dropped.transportClosed().outputs == [.indicate(.providerAborted(.notSpecified))])
    }

    @Test func releaseCollisionOnBothSides() throws {
        // Both users ask to release at once (PS3.8 9.2.3 and figure 9-2).
        var requestor = UpperLayerStateMachine(role: .requestor, state: .sta6)
        var acceptor = UpperLayerStateMachine(role: .acceptor, state: .sta6)
        _ = try requestor.requestRelease()
        _ = try acceptor.requestRelease()
        #expect(requestor.received(.releaseRequest).outputs == [.indicate(.releaseRequested)])
        #expect(acceptor.received(.releaseRequest).outputs == [.indicate(.releaseRequested)])
        #expect((requestor.state, acceptor.state) == (.sta9, .sta10))
        #expect(try requestor.respondToRelease().outputs == [.send(.releaseResponse)])
        #expect(acceptor.received(.releaseResponse).outputs == [.indicate(.releaseConfirmed)])
        #expect(try acceptor.respondToRelease().outputs == [.send(.releaseResponse), .startARTIM])
        #expect(requestor.received(.releaseResponse).outputs == [.indicate(.releaseConfirmed), .closeConnection])
        #expect((requestor.state, acceptor.state) == (.sta1, .sta13))
    }
}
