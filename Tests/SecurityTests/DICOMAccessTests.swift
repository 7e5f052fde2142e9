import DICOMNetwork
@testable import Security
import Testing

/// The AE allow-list's decisions, case by case; the same decisions over real associations
/// are in lifeboatTests (SecurityServeTests).
@Suite struct DICOMAccessTests {
    static let ct = "1.2.840.10008.5.1.4.1.1.2", find = "1.2.840.10008.5.1.4.1.2.2.1", move = "1.2.840.10008.5.1.4.1.2.2.2"
    static let offered: Set<String> = [SOPClass.verification, ct, find, move]

    static func decide(_ access: DICOMAccess, _ calling: String, from address: String, proposing: [String])
        -> (AcceptorPolicy.Admission, DICOMAccess.Refusal?) {
        let peer = AcceptorPolicy.Peer(callingAETitle: AETitle(validating: calling)!, calledAETitle: "LIFEBOAT", address: address, abstractSyntaxes: proposing)
        return access.admit(peer, offered: offered, queryClasses: [find], retrieveClasses: [move])
    }

    @Test func anUnknownAEMayEchoAndStoreButNotQueryOrRetrieve() {
        let (admission, refusal) = Self.decide(DICOMAccess(), "MODALITY", from: "10.0.0.7", proposing: [Self.ct, Self.find, Self.move])
        #expect(admission == .accept(allowed: [SOPClass.verification, Self.ct]))
        #expect(refusal == .services([.query, .retrieve], "MODALITY is not a listed DICOM peer"))
        #expect(Self.decide(DICOMAccess(), "MODALITY", from: "10.0.0.7", proposing: [Self.ct]).1 == nil, "nothing refused that was asked for")
    }

    @Test func strictRejectsTheUnknownAndAnAddressMustMatch() {
        let access = DICOMAccess(peers: [.init(aeTitle: "PACS", address: "10.0.0.5", rights: [.store, .query, .retrieve])], strict: true)
        #expect(Self.decide(access, "MODALITY", from: "10.0.0.7", proposing: [Self.ct]).0 == .reject)
        #expect(Self.decide(access, "PACS", from: "10.0.0.6", proposing: [Self.ct]) ==
            (.reject, .association("PACS is listed to call from 10.0.0.5, not 10.0.0.6")))
        #expect(Self.decide(access, "PACS", from: "10.0.0.5", proposing: [Self.ct, Self.find, Self.move]) == (.accept(allowed: Self.offered), nil))
        // Not strict, a listed AE from the wrong address is still someone else using its name.
        var lenient = access
        lenient.strict = false
        #expect(Self.decide(lenient, "PACS", from: "10.0.0.6", proposing: [Self.ct]).0 == .reject)
    }

    /// PS3.4 J.3.3.1.3: a node asked for Storage Commitment may open an association to report,
    /// even when strict — for that and echo only, and only from its own address.
    @Test func aReportingNodeMayReportCommitmentEvenWhenStrict() {
        let offered = Self.offered.union([StorageCommitment.sopClassUID])
        let access = DICOMAccess(peers: [], strict: true, reporters: [.init(aeTitle: "PACS", addresses: ["10.0.0.5"])])
        let peer = AcceptorPolicy.Peer(callingAETitle: "PACS", calledAETitle: "LIFEBOAT", address: "10.0.0.5",
                                       abstractSyntaxes: [StorageCommitment.sopClassUID, Self.ct, Self.find])
        #expect(access.admit(peer, offered: offered, queryClasses: [Self.find], retrieveClasses: [Self.move]) ==
            (.accept(allowed: [StorageCommitment.sopClassUID, SOPClass.verification]), nil))
        var elsewhere = peer
        elsewhere.address = "10.0.0.6"
        #expect(access.admit(elsewhere, offered: offered, queryClasses: [Self.find], retrieveClasses: [Self.move]).0 == .reject)
        var other = peer
        other.callingAETitle = "MODALITY"
        #expect(access.admit(other, offered: offered, queryClasses: [Self.find], retrieveClasses: [Self.move]).0 == .reject)
    }

    @Test func rightsAndMoveDestinationsAreEachEntrysOwn() {
        let access = DICOMAccess(peers: [.init(aeTitle: "WS1", rights: [.query, .retrieve], moveDestinations: ["WS1"]),
                                         .init(aeTitle: "PACS", rights: [.store, .retrieve])])
        let (admission, refusal) = Self.decide(access, "WS1", from: "10.0.0.9", proposing: [Self.ct, Self.find])
        #expect(admission == .accept(allowed: [SOPClass.verification, Self.ct, Self.find, Self.move]), "CT storage stays for C-GET's sub-operations")
        #expect(refusal == nil)
        #expect(!access.mayStore("WS1") && access.mayStore("PACS") && access.mayStore("MODALITY"), "a C-STORE from WS1 itself is refused")
        let viewer = DICOMAccess(peers: [.init(aeTitle: "VIEWER", rights: [.query])], strict: false)
        #expect(Self.decide(viewer, "VIEWER", from: "10.0.0.9", proposing: [Self.ct, Self.find]).1 == .services([.store], "VIEWER's entry does not allow it"))
        #expect(access.mayMove("WS1", to: "WS1") && !access.mayMove("WS1", to: "PACS"))
        #expect(access.mayMove("PACS", to: "WS1"), "no list: any configured node")
        #expect(!access.mayMove("MODALITY", to: "WS1"), "an unlisted AE retrieves nothing")
    }
}
