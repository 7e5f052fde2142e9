import DICOM

/// The Storage Commitment Push Model (PS3.4 J.3): the SCU asks, by N-ACTION, that the SCP
/// take responsibility for instances; the SCP answers, by N-EVENT-REPORT, which it has
/// committed and which it could not.
public enum StorageCommitment {
    /// PS3.4 J.3.1 (and PS3.6 annex A).
    public static let sopClassUID = "1.2.840.10008.1.20.1"
    /// The well-known SOP instance every request and report names (PS3.4 J.3.5).
    public static let sopInstanceUID = "1.2.840.10008.1.20.1.1"
    /// Action Type ID 1: Request Storage Commitment (PS3.4 table J.3-1).
    public static let requestActionType: UInt16 = 1

    /// Event Type IDs of the report (PS3.4 table J.3-2).
    public enum EventType: UInt16, Sendable {
        case allCommitted = 1
        case someFailed = 2
    }

    /// Why an instance was not committed (PS3.4 J.3.3.1.1, Failure Reason).
    public enum FailureReason {
        public static let processingFailure: UInt16 = 0x0110
        public static let noSuchObjectInstance: UInt16 = 0x0112
        public static let classInstanceConflict: UInt16 = 0x0119
        public static let sopClassNotSupported: UInt16 = 0x0122
        public static let duplicateTransactionUID: UInt16 = 0x0131

        public static func describe(_ reason: UInt16) -> String {
            switch reason {
            case processingFailure: "processing failure"
            case noSuchObjectInstance: "no such object instance"
            case classInstanceConflict: "class/instance conflict"
            case sopClassNotSupported: "SOP class not supported"
            case duplicateTransactionUID: "duplicate transaction UID"
            default: "failure reason 0x" + String(reason, radix: 16, uppercase: true)
            }
        }
    }

    /// Statuses of the N-EVENT-REPORT-RSP an SCU answers a report with (PS3.7 10.1.1.1.8).
    public enum ReportStatus {
        public static let processingFailure = DIMSEStatus(rawValue: 0x0110)
        public static let noSuchSOPInstance = DIMSEStatus(rawValue: 0x0112)
        public static let noSuchEventType = DIMSEStatus(rawValue: 0x0113)
        public static let invalidArgumentValue = DIMSEStatus(rawValue: 0x0115)
    }

    /// One instance named in a request or a report.
    public struct Reference: Sendable, Hashable {
        public var sopClassUID: String
        public var sopInstanceUID: String

        public init(sopClassUID: String, sopInstanceUID: String) {
            self.sopClassUID = sopClassUID
            self.sopInstanceUID = sopInstanceUID
        }

        var item: Item {
            var item = DataSet()
            item[.referencedSOPClassUID] = DataElement(tag: .referencedSOPClassUID, vr: .UI, strings: [sopClassUID])
            item[.referencedSOPInstanceUID] = DataElement(tag: .referencedSOPInstanceUID, vr: .UI, strings: [sopInstanceUID])
            return Item(dataSet: item)
        }

        init(_ item: Item) throws(DIMSEError) {
            guard let sopClass = item.dataSet.uid(.referencedSOPClassUID), let instance = item.dataSet.uid(.referencedSOPInstanceUID) else {
                throw DIMSEError(.malformedCommitment, "a Referenced SOP Sequence item without its SOP class or instance UID")
            }
            self.init(sopClassUID: sopClass, sopInstanceUID: instance)
        }
    }

    /// The N-ACTION-RQ's data set (PS3.4 table J.3-1).
    public struct Request: Sendable, Equatable {
        public var transactionUID: String
        public var references: [Reference]

        public init(transactionUID: String, references: [Reference]) {
            self.transactionUID = transactionUID
            self.references = references
        }

        public init(dataSet: DataSet) throws(DIMSEError) {
            guard let transaction = dataSet.uid(.transactionUID) else { throw DIMSEError(.malformedCommitment, "the commitment request has no Transaction UID") }
            guard let items = dataSet[.referencedSOPSequence]?.items, !items.isEmpty else {
                throw DIMSEError(.malformedCommitment, "the commitment request has no Referenced SOP Sequence")
            }
            var references: [Reference] = []
            for item in items { references.append(try Reference(item)) }
            self.init(transactionUID: transaction, references: references)
        }

        public var dataSet: DataSet {
            var dataSet = DataSet()
            dataSet[.transactionUID] = DataElement(tag: .transactionUID, vr: .UI, strings: [transactionUID])
            dataSet[.referencedSOPSequence] = DataElement(tag: .referencedSOPSequence, items: references.map(\.item))
            return dataSet
        }
    }

    /// The N-EVENT-REPORT-RQ's data set (PS3.4 table J.3-2): what was committed, what failed and why.
    public struct Result: Sendable, Equatable {
        public var transactionUID: String
        public var committed: [Reference]
        public var failed: [Failure]

        public struct Failure: Sendable, Equatable {
            public var reference: Reference
            public var reason: UInt16

            public init(reference: Reference, reason: UInt16) {
                self.reference = reference
                self.reason = reason
            }
        }

        public init(transactionUID: String, committed: [Reference], failed: [Failure]) {
            self.transactionUID = transactionUID
            self.committed = committed
            self.failed = failed
        }

        public var eventType: EventType { failed.isEmpty ? .allCommitted : .someFailed }

        public init(dataSet: DataSet) throws(DIMSEError) {
            guard let transaction = dataSet.uid(.transactionUID) else { throw DIMSEError(.malformedCommitment, "the commitment report has no Transaction UID") }
            var committed: [Reference] = []
            for item in dataSet[.referencedSOPSequence]?.items ?? [] { committed.append(try Reference(item)) }
            var failed: [Failure] = []
            for item in dataSet[.failedSOPSequence]?.items ?? [] {
                let reason = (try? item.dataSet[.failureReason]?.binary(UInt16.self))??.first ?? FailureReason.processingFailure
                failed.append(Failure(reference: try Reference(item), reason: reason))
            }
            self.init(transactionUID: transaction, committed: committed, failed: failed)
        }

        public var dataSet: DataSet {
            var dataSet = DataSet()
            dataSet[.transactionUID] = DataElement(tag: .transactionUID, vr: .UI, strings: [transactionUID])
            if !committed.isEmpty {
                dataSet[.referencedSOPSequence] = DataElement(tag: .referencedSOPSequence, items: committed.map(\.item))
            }
            if !failed.isEmpty {
                dataSet[.failedSOPSequence] = DataElement(tag: .failedSOPSequence, items: failed.map { failure in
                    var item = failure.reference.item
                    item.dataSet[.failureReason] = DataElement(tag: .failureReason, vr: .US, integers: [failure.reason])
                    return item
                })
            }
            return dataSet
        }
    }
}

/// The hook a Storage Commitment SCP answers through: which of the instances asked after are
/// safely kept here. It is asked after the N-ACTION-RSP has gone; its answer is the report.
public protocol CommitmentProvider: Sendable {
    func commit(_ request: StorageCommitment.Request, from callingAETitle: AETitle, address: String) async -> StorageCommitment.Result

    /// The report could not be given on the request's association — the SCU released it
    /// first, or never answered the report —: send it on an association of our own to the
    /// SCU (PS3.4 J.3.3.1.2 allows both).
    func undelivered(_ result: StorageCommitment.Result, to callingAETitle: AETitle, address: String) async
}

/// The hook a Storage Commitment SCU takes reports through when the SCP sends them on an
/// association it opens (PS3.4 J.3.3.1.3; the SCP proposes the SCP role). Keep the result
/// durably before answering Success: the SCP forgets the transaction once answered.
public protocol CommitmentReportReceiver: Sendable {
    func received(_ result: StorageCommitment.Result, from callingAETitle: AETitle, address: String) async -> ServiceOutcome
}
