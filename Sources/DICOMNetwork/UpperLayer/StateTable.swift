/// The states of the DICOM upper layer (PS3.8 table 9-1).
public enum UpperLayerState: Int, Sendable, CaseIterable, CustomStringConvertible {
    case sta1 = 1   // Idle
    case sta2       // Transport connection open: awaiting A-ASSOCIATE-RQ PDU
    case sta3       // Awaiting local A-ASSOCIATE response primitive
    case sta4       // Awaiting transport connection opening to complete
    case sta5       // Awaiting A-ASSOCIATE-AC or -RJ PDU
    case sta6       // Association established, ready for data transfer
    case sta7       // Awaiting A-RELEASE-RP PDU
    case sta8       // Awaiting local A-RELEASE response primitive
    case sta9       // Release collision, requestor: awaiting A-RELEASE response
    case sta10      // Release collision, acceptor: awaiting A-RELEASE-RP PDU
    case sta11      // Release collision, requestor: awaiting A-RELEASE-RP PDU
    case sta12      // Release collision, acceptor: awaiting A-RELEASE response primitive
    case sta13      // Awaiting transport connection close indication

    public var description: String { "Sta\(rawValue)" }
}

/// The events of the DICOM upper layer (PS3.8 table 9-2).
public enum UpperLayerEvent: Int, Sendable, CaseIterable, CustomStringConvertible {
    case evt1 = 1   // A-ASSOCIATE request (local user)
    case evt2       // Transport connect confirmation
    case evt3       // A-ASSOCIATE-AC PDU received
    case evt4       // A-ASSOCIATE-RJ PDU received
    case evt5       // Transport connection indication
    case evt6       // A-ASSOCIATE-RQ PDU received
    case evt7       // A-ASSOCIATE response primitive (accept)
    case evt8       // A-ASSOCIATE response primitive (reject)
    case evt9       // P-DATA request primitive
    case evt10      // P-DATA-TF PDU received
    case evt11      // A-RELEASE request primitive
    case evt12      // A-RELEASE-RQ PDU received
    case evt13      // A-RELEASE-RP PDU received
    case evt14      // A-RELEASE response primitive
    case evt15      // A-ABORT request primitive
    case evt16      // A-ABORT PDU received
    case evt17      // Transport connection closed indication
    case evt18      // ARTIM timer expired
    case evt19      // Unrecognized or invalid PDU received

    public var description: String { "Evt\(rawValue)" }
}

/// The actions of the DICOM upper layer (PS3.8 tables 9-6 to 9-9).
public enum UpperLayerAction: String, Sendable, CaseIterable {
    case ae1 = "AE-1", ae2 = "AE-2", ae3 = "AE-3", ae4 = "AE-4", ae5 = "AE-5", ae6 = "AE-6", ae7 = "AE-7", ae8 = "AE-8"
    case dt1 = "DT-1", dt2 = "DT-2"
    case ar1 = "AR-1", ar2 = "AR-2", ar3 = "AR-3", ar4 = "AR-4", ar5 = "AR-5"
    case ar6 = "AR-6", ar7 = "AR-7", ar8 = "AR-8", ar9 = "AR-9", ar10 = "AR-10"
    case aa1 = "AA-1", aa2 = "AA-2", aa3 = "AA-3", aa4 = "AA-4", aa5 = "AA-5", aa6 = "AA-6", aa7 = "AA-7", aa8 = "AA-8"
}

/// PS3.8 table 9-10: the action for each event in each state; a blank cell of the
/// standard's table is absent here.
enum StateTable {
    static func action(for event: UpperLayerEvent, in state: UpperLayerState) -> UpperLayerAction? {
        table[event]?[state]
    }

    /// Every state in which a PDU can arrive: the connection is open.
    private static let connected: [UpperLayerState] = [.sta2, .sta3, .sta5, .sta6, .sta7, .sta8, .sta9, .sta10, .sta11, .sta12, .sta13]

    /// A PDU that is out of place: AA-1 while awaiting the request, AA-6 once closing,
    /// AA-8 everywhere else; `in` gives the states where it is in place.
    private static func unexpected(except exceptions: [UpperLayerState: UpperLayerAction], sta13: UpperLayerAction = .aa6) -> [UpperLayerState: UpperLayerAction] {
        var row: [UpperLayerState: UpperLayerAction] = [:]
        for state in connected { row[state] = .aa8 }
        row[.sta2] = .aa1
        row[.sta13] = sta13
        row.merge(exceptions) { _, exception in exception }
        return row
    }

    static let table: [UpperLayerEvent: [UpperLayerState: UpperLayerAction]] = [
        .evt1: [.sta1: .ae1],
        .evt2: [.sta4: .ae2],
        .evt3: unexpected(except: [.sta5: .ae3]),
        .evt4: unexpected(except: [.sta5: .ae4]),
        .evt5: [.sta1: .ae5],
        .evt6: unexpected(except: [.sta2: .ae6], sta13: .aa7),
        .evt7: [.sta3: .ae7],
        .evt8: [.sta3: .ae8],
        .evt9: [.sta6: .dt1, .sta8: .ar7],
        .evt10: unexpected(except: [.sta6: .dt2, .sta7: .ar6]),
        .evt11: [.sta6: .ar1],
        .evt12: unexpected(except: [.sta6: .ar2, .sta7: .ar8]),
        .evt13: unexpected(except: [.sta7: .ar3, .sta10: .ar10, .sta11: .ar3]),
        .evt14: [.sta8: .ar4, .sta9: .ar9, .sta12: .ar4],
        .evt15: [.sta3: .aa1, .sta4: .aa2, .sta5: .aa1, .sta6: .aa1, .sta7: .aa1, .sta8: .aa1,
                 .sta9: .aa1, .sta10: .aa1, .sta11: .aa1, .sta12: .aa1],
        .evt16: unexpected(except: [.sta2: .aa2, .sta3: .aa3, .sta5: .aa3, .sta6: .aa3, .sta7: .aa3, .sta8: .aa3,
                                    .sta9: .aa3, .sta10: .aa3, .sta11: .aa3, .sta12: .aa3, .sta13: .aa2]),
        .evt17: [.sta2: .aa5, .sta3: .aa4, .sta4: .aa4, .sta5: .aa4, .sta6: .aa4, .sta7: .aa4, .sta8: .aa4,
                 .sta9: .aa4, .sta10: .aa4, .sta11: .aa4, .sta12: .aa4, .sta13: .ar5],
        .evt18: [.sta2: .aa2, .sta13: .aa2],
        .evt19: unexpected(except: [:], sta13: .aa7),
    ]
}
