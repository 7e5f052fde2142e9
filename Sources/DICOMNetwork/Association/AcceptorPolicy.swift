import DICOM

/// What an acceptor agrees to (PS3.8 7.1.1, PS3.7 D.3): its AE title, the abstract
/// syntaxes it offers, the transfer syntaxes it prefers, the largest PDU it takes.
public struct AcceptorPolicy: Sendable {
    public var aeTitle: AETitle
    /// Refuse requests addressed to another AE title (PS3.8 table 9-21, reason 7).
    public var requireCalledAETitle: Bool
    public var abstractSyntaxes: Set<String>
    /// Transfer syntaxes in the order they are chosen; one the proposer offers that is not
    /// listed is still accepted if the standard knows it (an archive stores any encoding).
    public var transferSyntaxPreference: [String]
    /// The maximum P-DATA-TF length announced to the peer (PS3.8 D.1).
    public var maximumLength: UInt32
    /// Decides who may associate and for which services (an AE allow-list); nil admits everyone
    /// to everything offered.
    public var admission: (@Sendable (Peer) -> Admission)?
    /// The peers — by calling AE title and address — that may take the association slots kept
    /// for them (`ConnectionLimits`): those the archive is told about.
    public var priority: (@Sendable (AETitle, String) -> Bool)?

    /// The requestor as the acceptor sees it.
    public struct Peer: Sendable, Equatable {
        public var callingAETitle: AETitle
        public var calledAETitle: AETitle
        /// The IP address it connects from.
        public var address: String
        /// What it proposes, by abstract syntax.
        public var abstractSyntaxes: [String]
        /// Who it says it acts for (PS3.7 D.3.3.7), if anyone.
        public var userIdentity: UserIdentity?

        public init(callingAETitle: AETitle, calledAETitle: AETitle, address: String, abstractSyntaxes: [String], userIdentity: UserIdentity? = nil) {
            self.callingAETitle = callingAETitle
            self.calledAETitle = calledAETitle
            self.address = address
            self.abstractSyntaxes = abstractSyntaxes
            self.userIdentity = userIdentity
        }
    }

    public enum Admission: Sendable, Equatable {
        /// Associate, accepting only the abstract syntaxes listed; the others' presentation
        /// contexts are answered "user-rejection" (PS3.8 table 9-18, result 1). `identityConfirmed`:
        /// the user identity was checked, so a positive response requested is sent (PS3.7 D.3.3.7.2).
        case accept(allowed: Set<String>, identityConfirmed: Bool = false)
        /// A-ASSOCIATE-RJ, rejected-permanent, service-user, calling-AE-title-not-recognized (PS3.8 table 9-21, reason 3).
        case reject
        /// A-ASSOCIATE-RJ, rejected-permanent, service-user, no-reason-given: the user identity
        /// presented was wrong (PS3.7 D.3.3.7 leaves the reason to the acceptor).
        case rejectIdentity
    }

    public static let defaultTransferSyntaxes = [
        TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid,
        TransferSyntax.deflatedExplicitVRLittleEndian.uid, TransferSyntax.explicitVRBigEndian.uid,
    ]

    public init(aeTitle: AETitle, requireCalledAETitle: Bool = true,
                abstractSyntaxes: Set<String> = SOPClass.storage.union([SOPClass.verification]),
                transferSyntaxPreference: [String] = AcceptorPolicy.defaultTransferSyntaxes,
                maximumLength: UInt32 = 256 * 1024) {
        self.aeTitle = aeTitle
        self.requireCalledAETitle = requireCalledAETitle
        self.abstractSyntaxes = abstractSyntaxes
        self.transferSyntaxPreference = transferSyntaxPreference
        self.maximumLength = maximumLength
    }

    /// An accepted presentation context.
    public struct AcceptedContext: Sendable, Equatable {
        public let id: UInt8
        public let abstractSyntax: String
        public let transferSyntax: String
    }

    /// The answer to an association request: the A-ASSOCIATE-AC with the contexts it
    /// accepted, or the A-ASSOCIATE-RJ.
    public func negotiate(_ request: AssociateRequest, peerAddress: String = "") -> Result<(AssociateAccept, [UInt8: AcceptedContext]), AssociateReject> {
        if requireCalledAETitle && request.calledAETitle != aeTitle {
            return .failure(AssociateReject(result: .permanent, reason: .serviceUser(.calledAETitleNotRecognized)))
        }
        guard request.applicationContext == dicomApplicationContext else {
            return .failure(AssociateReject(result: .permanent, reason: .serviceUser(.applicationContextNameNotSupported)))
        }
        var admitted = abstractSyntaxes
        var confirmedIdentity: [UInt8]?
        if let admission {
            let peer = Peer(callingAETitle: request.callingAETitle, calledAETitle: request.calledAETitle, address: peerAddress,
                            abstractSyntaxes: request.presentationContexts.map(\.abstractSyntax), userIdentity: request.userInformation.userIdentity)
            switch admission(peer) {
            case .reject: return .failure(AssociateReject(result: .permanent, reason: .serviceUser(.callingAETitleNotRecognized)))
            case .rejectIdentity: return .failure(AssociateReject(result: .permanent, reason: .serviceUser(.noReasonGiven)))
            case .accept(let allowed, let confirmed):
                admitted = allowed
                // Type 1 and 2 answer with a zero-length server response (PS3.7 D.3.3.7.2).
                if confirmed, request.userInformation.userIdentity?.positiveResponseRequested == true { confirmedIdentity = [] }
            }
        }
        let identityResponse = confirmedIdentity
        var results: [PresentationContextResult] = []
        var accepted: [UInt8: AcceptedContext] = [:]
        for context in request.presentationContexts {
            guard abstractSyntaxes.contains(context.abstractSyntax) else {
                results.append(PresentationContextResult(id: context.id, result: .abstractSyntaxNotSupported, transferSyntax: context.transferSyntaxes[0]))
                continue
            }
            guard admitted.contains(context.abstractSyntax) else {
                results.append(PresentationContextResult(id: context.id, result: .userRejection, transferSyntax: context.transferSyntaxes[0]))
                continue
            }
            guard let chosen = chooseTransferSyntax(from: context.transferSyntaxes) else {
                results.append(PresentationContextResult(id: context.id, result: .transferSyntaxesNotSupported, transferSyntax: context.transferSyntaxes[0]))
                continue
            }
            results.append(PresentationContextResult(id: context.id, result: .acceptance, transferSyntax: chosen))
            accepted[context.id] = AcceptedContext(id: context.id, abstractSyntax: context.abstractSyntax, transferSyntax: chosen)
        }
        // Roles are granted as proposed for the SOP classes offered (PS3.7 D.3.3.4).
        let roles = request.userInformation.roleSelections.filter { abstractSyntaxes.contains($0.sopClassUID) }
        let info = UserInformation(maximumLength: maximumLength, implementationClassUID: DICOMFile.implementationClassUID,
                                   implementationVersionName: DICOMFile.implementationVersionName,
                                   asynchronousOperationsWindow: request.userInformation.asynchronousOperationsWindow.map { _ in
                                       AsynchronousOperationsWindow(maximumInvoked: 1, maximumPerformed: 1) // one operation at a time
                                   },
                                   roleSelections: roles, userIdentityResponse: identityResponse)
        let accept = AssociateAccept(calledAETitle: request.calledAETitle, callingAETitle: request.callingAETitle,
                                     presentationContexts: results, userInformation: info)
        return .success((accept, accepted))
    }

    func chooseTransferSyntax(from proposed: [String]) -> String? {
        if let preferred = transferSyntaxPreference.first(where: proposed.contains) { return preferred }
        return proposed.first { TransferSyntax(uid: $0) != nil }
    }
}
