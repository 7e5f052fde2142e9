import DICOM
import DICOMNetwork
import Foundation
import TestSupport
import Testing

/// An AE Lifeboat is told about (dicom-peers, dicom-nodes) finds a slot however many unlisted
/// AEs have associated: `lifeboat serve` keeps an eighth of `max-associations` (1 to 8) for them.
@Suite struct PriorityPeerTests {
    @Test func unlistedAEsCannotTakeTheSlotKeptForAListedPeer() async throws {
        try await SecurityServeTests.withServe(config: "dicom-peers: [{ae: PACS, address: 127.0.0.1}]", arguments: ["--max-associations", "2"]) { site in
            let context = ProposedPresentationContext(id: 1, abstractSyntax: SOPClass.verification, transferSyntaxes: [TransferSyntax.implicitVRLittleEndian.uid])
            func peer(_ calling: AETitle) -> RequestorAssociation.Configuration {
                .init(host: "127.0.0.1", port: site.dicomPort, callingAETitle: calling, calledAETitle: "LIFEBOAT")
            }
            // An unlisted AE holds the one slot unlisted AEs may take (its echo answered: it is counted).
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            let first = Task {
                try await RequestorAssociation.withAssociation(peer("WORKSTATION1"), proposing: [context]) { association in
                    try await association.echo()
                    holding.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }
            await #expect(throws: AssociationError.rejected(AssociateReject(result: .transient, reason: .serviceProviderPresentation(.localLimitExceeded)))) {
                try await RequestorAssociation.withAssociation(peer("WORKSTATION2"), proposing: [context]) { try await $0.echo() }
            }
            // The listed PACS gets the slot kept for it.
            let echo = try await SecurityServeTests.dcmtk("echoscu", ["-aet", "PACS", "-aec", "LIFEBOAT", "127.0.0.1", "\(site.dicomPort)"])
            #expect(echo.status == 0, "\(echo.errors)")
            releasing.yield()
            try await first.value
            #expect(site.serve.log.contains("WORKSTATION2"), "the refusal is logged with who was refused")
        }
    }
}
