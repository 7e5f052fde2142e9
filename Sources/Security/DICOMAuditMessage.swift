import Foundation

/// An audit record as a DICOM audit message (PS3.15 A.5, the RFC 3881 schema as DICOM
/// profiles it): the event, who did it (active participants), the node that saw it (audit
/// source), and what it concerned (participant objects).
public enum DICOMAuditMessage {
    /// PS3.16 CID 400 Audit Event ID (DCM), and the action code of A.5.3 (C, R, U, D, E).
    static func event(_ action: AuditRecord.Action) -> (code: String, meaning: String, actionCode: String, type: (String, String)?) {
        switch action {
        case .store: ("110104", "DICOM Instances Transferred", "C", nil)
        case .retrieve: ("110104", "DICOM Instances Transferred", "R", nil)
        case .view: ("110103", "DICOM Instances Accessed", "R", nil)
        case .query: ("110112", "Query", "E", nil)
        case .export: ("110106", "Export", "R", nil)
        case .login: ("110114", "User Authentication", "E", ("110122", "Login"))
        case .loginFailed: ("110114", "User Authentication", "E", ("110122", "Login"))
        case .rejection: ("110113", "Security Alert", "E", ("110132", "Use of Restricted Function"))
        case .configurationChange: ("110113", "Security Alert", "E", ("110131", "Software Configuration"))
        case .administration: ("110113", "Security Alert", "E", ("110137", "User Security Attributes Changed"))
        case .auditRead: ("110101", "Audit Log Used", "R", nil)
        // A stored copy found bad and rewritten from a good one: the instances' stored bytes updated.
        case .integrity: ("110103", "DICOM Instances Accessed", "U", nil)
        }
    }

    /// The message's XML. `auditSource` names this node (its AE title).
    public static func xml(_ record: AuditRecord, auditSource: String) -> String {
        let event = event(record.action)
        // PS3.15 A.5.3: 0 success, 4 minor failure, 8 serious failure.
        let outcome = record.succeeded ? "0" : (record.action == .rejection || record.action == .loginFailed ? "4" : "8")
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<AuditMessage>"]
        lines.append("  <EventIdentification EventActionCode=\"\(event.actionCode)\" EventDateTime=\"\(escape(record.time))\" EventOutcomeIndicator=\"\(outcome)\">")
        lines.append("    <EventID csd-code=\"\(event.code)\" codeSystemName=\"DCM\" originalText=\"\(event.meaning)\"/>")
        if let type = event.type { lines.append("    <EventTypeCode csd-code=\"\(type.0)\" codeSystemName=\"DCM\" originalText=\"\(type.1)\"/>") }
        let description = [record.subject, record.detail].filter { !$0.isEmpty }.joined(separator: ": ")
        if !description.isEmpty { lines.append("    <EventOutcomeDescription>\(escape(description))</EventOutcomeDescription>") }
        lines.append("  </EventIdentification>")
        // The requestor: a user or a calling AE, from its address (type 2: an IP address).
        let addressType = record.source == "local" ? "1" : "2"
        lines.append("  <ActiveParticipant UserID=\"\(escape(record.actor))\" UserIsRequestor=\"true\" NetworkAccessPointID=\"\(escape(record.source))\" NetworkAccessPointTypeCode=\"\(addressType)\"/>")
        lines.append("  <ActiveParticipant UserID=\"\(escape(auditSource))\" UserIsRequestor=\"false\"/>")
        lines.append("  <AuditSourceIdentification AuditSourceID=\"\(escape(auditSource))\"/>")
        lines += participantObjects(record.subject)
        lines.append("</AuditMessage>")
        return lines.joined(separator: "\n")
    }

    /// What the record's subject names as coded objects: a patient ID (RFC 3881 code 2), a
    /// study (DCM 110180). The whole subject is also in the event's outcome description.
    static func participantObjects(_ subject: String) -> [String] {
        var objects: [String] = []
        for part in subject.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "PatientID":
                objects.append("  <ParticipantObjectIdentification ParticipantObjectID=\"\(escape(pair[1]))\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\">")
                objects.append("    <ParticipantObjectIDTypeCode csd-code=\"2\" codeSystemName=\"RFC-3881\" originalText=\"Patient Number\"/>")
                objects.append("  </ParticipantObjectIdentification>")
            case "StudyInstanceUID":
                objects.append("  <ParticipantObjectIdentification ParticipantObjectID=\"\(escape(pair[1]))\" ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole=\"3\">")
                objects.append("    <ParticipantObjectIDTypeCode csd-code=\"110180\" codeSystemName=\"DCM\" originalText=\"Study Instance UID\"/>")
                objects.append("  </ParticipantObjectIdentification>")
            default: continue
            }
        }
        return objects
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default:
                // XML 1.0 has no place for control characters other than tab and newlines.
                if let ascii = character.asciiValue, ascii < 0x20, ![0x09, 0x0A, 0x0D].contains(ascii) { result += "?" } else { result.append(character) }
            }
        }
        return result
    }
}
