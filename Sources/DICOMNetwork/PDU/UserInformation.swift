/// The user information item of A-ASSOCIATE-RQ and -AC (PS3.8 D.3.3, PS3.7 D.3.3).
public struct UserInformation: Sendable, Equatable {
    /// The largest P-DATA-TF PDU the sender will receive; 0 means no limit (PS3.8 D.1).
    public var maximumLength: UInt32
    public var implementationClassUID: String
    public var implementationVersionName: String?
    public var asynchronousOperationsWindow: AsynchronousOperationsWindow?
    public var roleSelections: [RoleSelection]
    public var extendedNegotiations: [ExtendedNegotiation]
    public var commonExtendedNegotiations: [CommonExtendedNegotiation]
    public var userIdentity: UserIdentity?
    public var userIdentityResponse: [UInt8]?

    public init(maximumLength: UInt32, implementationClassUID: String, implementationVersionName: String? = nil,
                asynchronousOperationsWindow: AsynchronousOperationsWindow? = nil, roleSelections: [RoleSelection] = [],
                extendedNegotiations: [ExtendedNegotiation] = [], commonExtendedNegotiations: [CommonExtendedNegotiation] = [],
                userIdentity: UserIdentity? = nil, userIdentityResponse: [UInt8]? = nil) {
        self.maximumLength = maximumLength
        self.implementationClassUID = implementationClassUID
        self.implementationVersionName = implementationVersionName
        self.asynchronousOperationsWindow = asynchronousOperationsWindow
        self.roleSelections = roleSelections
        self.extendedNegotiations = extendedNegotiations
        self.commonExtendedNegotiations = commonExtendedNegotiations
        self.userIdentity = userIdentity
        self.userIdentityResponse = userIdentityResponse
    }
}

/// PS3.7 D.3.3.3: how many operations each side may have outstanding.
public struct AsynchronousOperationsWindow: Sendable, Equatable {
    public var maximumInvoked: UInt16
    public var maximumPerformed: UInt16

    public init(maximumInvoked: UInt16, maximumPerformed: UInt16) {
        self.maximumInvoked = maximumInvoked
        self.maximumPerformed = maximumPerformed
    }
}

/// PS3.7 D.3.3.4: SCP/SCU role selection for one SOP class.
public struct RoleSelection: Sendable, Equatable {
    public var sopClassUID: String
    public var scuRole: Bool
    public var scpRole: Bool

    public init(sopClassUID: String, scuRole: Bool, scpRole: Bool) {
        self.sopClassUID = sopClassUID
        self.scuRole = scuRole
        self.scpRole = scpRole
    }
}

/// PS3.7 D.3.3.5: SOP class extended negotiation; the information is the service's own.
public struct ExtendedNegotiation: Sendable, Equatable {
    public var sopClassUID: String
    public var serviceClassApplicationInformation: [UInt8]

    public init(sopClassUID: String, serviceClassApplicationInformation: [UInt8]) {
        self.sopClassUID = sopClassUID
        self.serviceClassApplicationInformation = serviceClassApplicationInformation
    }
}

/// PS3.7 D.3.3.6: SOP class common extended negotiation.
public struct CommonExtendedNegotiation: Sendable, Equatable {
    public var sopClassUID: String
    public var serviceClassUID: String
    public var relatedGeneralSOPClassUIDs: [String]

    public init(sopClassUID: String, serviceClassUID: String, relatedGeneralSOPClassUIDs: [String] = []) {
        self.sopClassUID = sopClassUID
        self.serviceClassUID = serviceClassUID
        self.relatedGeneralSOPClassUIDs = relatedGeneralSOPClassUIDs
    }
}

/// PS3.7 D.3.3.7: who the requestor says it is.
public struct UserIdentity: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case username = 1
        case usernameAndPasscode = 2
        case kerberos = 3
        case saml = 4
        case jwt = 5
    }

    public var kind: Kind
    public var positiveResponseRequested: Bool
    public var primaryField: [UInt8]
    /// The passcode, for `.usernameAndPasscode`; empty otherwise.
    public var secondaryField: [UInt8]

    public init(kind: Kind, positiveResponseRequested: Bool, primaryField: [UInt8], secondaryField: [UInt8] = []) {
        self.kind = kind
        self.positiveResponseRequested = positiveResponseRequested
        self.primaryField = primaryField
        self.secondaryField = secondaryField
    }
}
