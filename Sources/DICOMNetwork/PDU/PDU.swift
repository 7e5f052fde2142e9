import NIOCore

/// The seven protocol data units of the DICOM upper layer (PS3.8 9.3).
public enum PDU: Sendable, Equatable {
    case associateRequest(AssociateRequest)
    case associateAccept(AssociateAccept)
    case associateReject(AssociateReject)
    case data(PDataTF)
    case releaseRequest
    case releaseResponse
    case abort(Abort)

    /// The PDU-type byte (PS3.8 table 9-11 and following).
    public enum Kind: UInt8, Sendable {
        case associateRequest = 0x01
        case associateAccept = 0x02
        case associateReject = 0x03
        case data = 0x04
        case releaseRequest = 0x05
        case releaseResponse = 0x06
        case abort = 0x07
    }

    public var kind: Kind {
        switch self {
        case .associateRequest: .associateRequest
        case .associateAccept: .associateAccept
        case .associateReject: .associateReject
        case .data: .data
        case .releaseRequest: .releaseRequest
        case .releaseResponse: .releaseResponse
        case .abort: .abort
        }
    }
}

/// The application context every DICOM association uses (PS3.7 A.2.1).
public let dicomApplicationContext = "1.2.840.10008.3.1.1.1"

/// A-ASSOCIATE-RQ (PS3.8 9.3.2) and A-ASSOCIATE-AC (PS3.8 9.3.3): the same fields, the
/// contexts proposed in the one and answered in the other. The AC's AE titles echo the
/// request's (PS3.8 9.3.3.2).
public struct AssociatePDU<Context: Sendable & Equatable>: Sendable, Equatable {
    public var protocolVersion: UInt16
    public var calledAETitle: AETitle
    public var callingAETitle: AETitle
    public var applicationContext: String
    public var presentationContexts: [Context]
    public var userInformation: UserInformation

    public init(protocolVersion: UInt16 = 1, calledAETitle: AETitle, callingAETitle: AETitle,
                applicationContext: String = dicomApplicationContext, presentationContexts: [Context],
                userInformation: UserInformation) {
        self.protocolVersion = protocolVersion
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.applicationContext = applicationContext
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
    }
}

public typealias AssociateRequest = AssociatePDU<ProposedPresentationContext>
public typealias AssociateAccept = AssociatePDU<PresentationContextResult>

/// A presentation context as proposed (PS3.8 9.3.2.2): an odd ID, one abstract syntax,
/// one or more transfer syntaxes.
public struct ProposedPresentationContext: Sendable, Equatable {
    public var id: UInt8
    public var abstractSyntax: String
    public var transferSyntaxes: [String]

    public init(id: UInt8, abstractSyntax: String, transferSyntaxes: [String]) {
        self.id = id
        self.abstractSyntax = abstractSyntax
        self.transferSyntaxes = transferSyntaxes
    }
}

/// The answer to one proposed presentation context (PS3.8 9.3.3.2).
public struct PresentationContextResult: Sendable, Equatable {
    public enum Result: UInt8, Sendable {
        case acceptance = 0
        case userRejection = 1
        case noReason = 2
        case abstractSyntaxNotSupported = 3
        case transferSyntaxesNotSupported = 4
    }

    public var id: UInt8
    public var result: Result
    /// The chosen transfer syntax; PS3.8 says it is not significant unless accepted,
    /// but the sub-item is always sent.
    public var transferSyntax: String

    public init(id: UInt8, result: Result, transferSyntax: String) {
        self.id = id
        self.result = result
        self.transferSyntax = transferSyntax
    }
}

/// A-ASSOCIATE-RJ (PS3.8 9.3.4).
public struct AssociateReject: Sendable, Equatable, Error, CustomStringConvertible {
    public var description: String {
        let why: String = switch reason {
        case .serviceUser(.noReasonGiven): "by the service user, no reason given"
        case .serviceUser(.applicationContextNameNotSupported): "application context name not supported"
        case .serviceUser(.callingAETitleNotRecognized): "calling AE title not recognised"
        case .serviceUser(.calledAETitleNotRecognized): "called AE title not recognised"
        case .serviceProviderACSE(.noReasonGiven): "by the service provider (ACSE), no reason given"
        case .serviceProviderACSE(.protocolVersionNotSupported): "protocol version not supported"
        case .serviceProviderPresentation(.temporaryCongestion): "temporary congestion"
        case .serviceProviderPresentation(.localLimitExceeded): "local limit exceeded"
        }
        return "\(why) (\(result == .permanent ? "permanent" : "transient"))"
    }

    public enum Result: UInt8, Sendable {
        case permanent = 1
        case transient = 2
    }

    /// Who rejects, and why: the reason codes depend on the source (PS3.8 table 9-21).
    public enum Reason: Sendable, Equatable {
        case serviceUser(ServiceUserReason)
        case serviceProviderACSE(ACSEReason)
        case serviceProviderPresentation(PresentationReason)

        public enum ServiceUserReason: UInt8, Sendable {
            case noReasonGiven = 1
            case applicationContextNameNotSupported = 2
            case callingAETitleNotRecognized = 3
            case calledAETitleNotRecognized = 7
        }

        public enum ACSEReason: UInt8, Sendable {
            case noReasonGiven = 1
            case protocolVersionNotSupported = 2
        }

        public enum PresentationReason: UInt8, Sendable {
            case temporaryCongestion = 1
            case localLimitExceeded = 2
        }

        var source: UInt8 {
            switch self {
            case .serviceUser: 1
            case .serviceProviderACSE: 2
            case .serviceProviderPresentation: 3
            }
        }

        var code: UInt8 {
            switch self {
            case .serviceUser(let reason): reason.rawValue
            case .serviceProviderACSE(let reason): reason.rawValue
            case .serviceProviderPresentation(let reason): reason.rawValue
            }
        }

        init?(source: UInt8, code: UInt8) {
            switch source {
            case 1: guard let reason = ServiceUserReason(rawValue: code) else { return nil }; self = .serviceUser(reason)
            case 2: guard let reason = ACSEReason(rawValue: code) else { return nil }; self = .serviceProviderACSE(reason)
            case 3: guard let reason = PresentationReason(rawValue: code) else { return nil }; self = .serviceProviderPresentation(reason)
            default: return nil
            }
        }
    }

    public var result: Result
    public var reason: Reason

    public init(result: Result, reason: Reason) {
        self.result = result
        self.reason = reason
    }
}

/// A-ABORT (PS3.8 9.3.8).
public struct Abort: Sendable, Equatable, Error {
    public enum Source: Sendable, Equatable {
        case serviceUser
        /// With the reason (PS3.8 table 9-26).
        case serviceProvider(ProviderReason)
    }

    public enum ProviderReason: UInt8, Sendable {
        case notSpecified = 0
        case unrecognizedPDU = 1
        case unexpectedPDU = 2
        case unrecognizedPDUParameter = 4
        case unexpectedPDUParameter = 5
        case invalidPDUParameterValue = 6
    }

    public var source: Source

    public init(source: Source) { self.source = source }

    public static let byServiceUser = Abort(source: .serviceUser)
}

/// P-DATA-TF (PS3.8 9.3.5): one or more presentation data values.
public struct PDataTF: Sendable, Equatable {
    public var values: [PresentationDataValue]

    public init(values: [PresentationDataValue]) { self.values = values }
}

/// One fragment of a DIMSE message (PS3.8 9.3.5.1, annex E).
public struct PresentationDataValue: Sendable, Equatable {
    public var presentationContextID: UInt8
    public var isCommand: Bool
    public var isLastFragment: Bool
    public var fragment: ByteBuffer

    public init(presentationContextID: UInt8, isCommand: Bool, isLastFragment: Bool, fragment: ByteBuffer) {
        self.presentationContextID = presentationContextID
        self.isCommand = isCommand
        self.isLastFragment = isLastFragment
        self.fragment = fragment
    }
}
