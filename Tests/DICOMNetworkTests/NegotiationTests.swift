import DICOM
@testable import DICOMNetwork
import Testing

/// Association negotiation as acceptor (PS3.8 7.1.1, 9.3.3; PS3.7 D.3.3).
@Suite struct NegotiationTests {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let policy = AcceptorPolicy(aeTitle: "LIFEBOAT")

    static func request(called: AETitle = "LIFEBOAT", contexts: [ProposedPresentationContext], identity: UserIdentity? = nil,
                        roles: [RoleSelection] = []) -> AssociateRequest {
        AssociateRequest(calledAETitle: called, callingAETitle: "MODALITY", presentationContexts: contexts,
                         userInformation: UserInformation(maximumLength: 16384, implementationClassUID: "1.2.3", roleSelections: roles, userIdentity: identity))
    }

    @Test func storageSOPClassesAreAllThere() {
        #expect(SOPClass.storage.contains(Self.ct))
        #expect(SOPClass.storage.contains("1.2.840.10008.5.1.4.1.1.88.22"), "Enhanced SR")
        #expect(!SOPClass.storage.contains("1.2.840.10008.1.20.1"), "Storage Commitment is not a storage class")
        #expect(SOPClass.storage.count > 150)
    }

    @Test func transferSyntaxByPreference() throws {
        let request = Self.request(contexts: [
            ProposedPresentationContext(id: 1, abstractSyntax: Self.ct, transferSyntaxes: ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]),
            ProposedPresentationContext(id: 3, abstractSyntax: Self.ct, transferSyntaxes: ["1.2.840.10008.1.2.4.50"]),
            ProposedPresentationContext(id: 5, abstractSyntax: "1.2.3.4.5.6", transferSyntaxes: ["1.2.840.10008.1.2"]),
            ProposedPresentationContext(id: 7, abstractSyntax: Self.ct, transferSyntaxes: ["1.2.3.999"]),
            ProposedPresentationContext(id: 9, abstractSyntax: SOPClass.verification, transferSyntaxes: ["1.2.840.10008.1.2"]),
        ])
        let (accept, contexts) = try Self.policy.negotiate(request).get()
        #expect(accept.presentationContexts.map(\.result) == [.acceptance, .acceptance, .abstractSyntaxNotSupported, .transferSyntaxesNotSupported, .acceptance])
        #expect(contexts[1]?.transferSyntax == "1.2.840.10008.1.2.1", "explicit VR little endian preferred")
        #expect(contexts[3]?.transferSyntax == "1.2.840.10008.1.2.4.50", "compressed data is stored as it comes")
        #expect(contexts[5] == nil && contexts[7] == nil)
        #expect(accept.userInformation.maximumLength == Self.policy.maximumLength)
        #expect(accept.userInformation.implementationClassUID == DICOMFile.implementationClassUID)
        #expect(accept.calledAETitle == "LIFEBOAT" && accept.callingAETitle == "MODALITY")
    }

    @Test func unknownCalledAETitleIsRejected() {
        let result = Self.policy.negotiate(Self.request(called: "SOMEONE_ELSE", contexts: []))
        #expect(result.failure == AssociateReject(result: .permanent, reason: .serviceUser(.calledAETitleNotRecognized)))
        var lax = Self.policy
        lax.requireCalledAETitle = false
        #expect(lax.negotiate(Self.request(called: "SOMEONE_ELSE", contexts: [])).failure == nil)
    }

    @Test func userIdentityGoesToTheAdmission() throws {
        var policy = Self.policy
        let allowed = policy.abstractSyntaxes
        policy.admission = { peer in
            guard let identity = peer.userIdentity else { return .accept(allowed: allowed) }
            return identity.primaryField == Array("reader".utf8) && identity.secondaryField == Array("s3cret".utf8) && peer.callingAETitle == "MODALITY"
                ? .accept(allowed: allowed, identityConfirmed: true) : .rejectIdentity
        }
        let good = UserIdentity(kind: .usernameAndPasscode, positiveResponseRequested: true, primaryField: Array("reader".utf8), secondaryField: Array("s3cret".utf8))
        let (accept, _) = try policy.negotiate(Self.request(contexts: [], identity: good)).get()
        // PS3.7 D.3.3.7.2: types 1 and 2 are confirmed with a zero-length server response.
        #expect(accept.userInformation.userIdentityResponse == [])
        let bad = UserIdentity(kind: .usernameAndPasscode, positiveResponseRequested: false, primaryField: Array("reader".utf8), secondaryField: Array("wrong".utf8))
        #expect(policy.negotiate(Self.request(contexts: [], identity: bad)).failure?.reason == .serviceUser(.noReasonGiven))
    }

    @Test func rolesAreGrantedForOfferedClasses() throws {
        let roles = [RoleSelection(sopClassUID: Self.ct, scuRole: false, scpRole: true), RoleSelection(sopClassUID: "1.2.3.4.5.6", scuRole: true, scpRole: true)]
        let (accept, _) = try Self.policy.negotiate(Self.request(contexts: [], roles: roles)).get()
        #expect(accept.userInformation.roleSelections == [roles[0]])
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
