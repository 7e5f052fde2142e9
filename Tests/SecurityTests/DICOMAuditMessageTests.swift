import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Security
import Testing

/// Audit records as DICOM audit messages (PS3.15 A.5): the event codes, and XML that stays
/// well-formed whatever a peer put in the fields it controls.
@Suite struct DICOMAuditMessageTests {
    /// The elements and attributes of a document, or nil if it does not parse.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(String, [String: String])] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            elements.append((name, attributes))
        }
    }

    static func parse(_ xml: String) -> [(String, [String: String])]? {
        let parser = XMLParser(data: Data(xml.utf8))
        let collector = Collector()
        parser.delegate = collector
        return parser.parse() ? collector.elements : nil
    }

    @Test func aViewOfAPatientsStudyNamesThePatientAndTheStudy() throws {
        let record = AuditRecord(sequence: 7, time: Date(timeIntervalSince1970: 2_000_000_000), action: .query, succeeded: true, actor: "dr.reader",
                                 source: "10.0.0.9", subject: "level=STUDY PatientID=P-1 StudyInstanceUID=1.2.3", detail: "C-FIND status 0x0000",
                                 previous: AuditRecord.genesis)
        let elements = try #require(Self.parse(DICOMAuditMessage.xml(record, auditSource: "LIFEBOAT")))
        let event = try #require(elements.first { $0.0 == "EventID" }?.1)
        #expect(event["csd-code"] == "110112" && event["codeSystemName"] == "DCM")
        #expect(elements.first { $0.0 == "EventIdentification" }?.1["EventOutcomeIndicator"] == "0")
        let objects = elements.filter { $0.0 == "ParticipantObjectIdentification" }.map { $0.1["ParticipantObjectID"] }
        #expect(objects == ["P-1", "1.2.3"])
        let requestor = try #require(elements.first { $0.0 == "ActiveParticipant" && $0.1["UserIsRequestor"] == "true" }?.1)
        #expect(requestor["UserID"] == "dr.reader" && requestor["NetworkAccessPointID"] == "10.0.0.9" && requestor["NetworkAccessPointTypeCode"] == "2")
    }

    @Test func whatAPeerSendsCannotBreakTheXML() throws {
        let record = AuditRecord(sequence: 1, time: Date(), action: .rejection, succeeded: false, actor: "EVIL\"/><x a=\"",
                                 source: "10.6.6.6", subject: "PatientID=<script>&\u{01}", detail: "refused", previous: AuditRecord.genesis)
        let xml = DICOMAuditMessage.xml(record, auditSource: "LIFEBOAT")
        let elements = try #require(Self.parse(xml), "\(xml)")
        #expect(!elements.contains { $0.0 == "x" })
        #expect(elements.first { $0.0 == "ActiveParticipant" }?.1["UserID"] == "EVIL\"/><x a=\"")
        #expect(elements.first { $0.0 == "ParticipantObjectIdentification" }?.1["ParticipantObjectID"] == "<script>&?")
        #expect(elements.first { $0.0 == "EventIdentification" }?.1["EventOutcomeIndicator"] == "4")
    }
}
