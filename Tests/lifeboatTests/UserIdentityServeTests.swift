import Foundation
import Security
import TestSupport
import Testing

/// User identity negotiation (PS3.7 D.3.3.7) with dcmtk's storescu: under dicom-strict an
/// unlisted AE gets in only by proving a user — a password or a JWT this node signed — and
/// a wrong one is rejected and recorded.
@Suite(.serialized) struct UserIdentityServeTests {
    /// Adds the technologist ct3 (password "modality room three"); storescu's arguments to
    /// store a CT image as the AE CT3.
    static func technologistCT3(_ site: SecurityServeTests.Site) async throws -> [String] {
        let add = try await Subprocess.run("/bin/sh", ["-c", "printf 'modality room three\\n' | '\(DumpCommandTests.binary.path)' user add ct3 --role technologist --password-stdin --data '\(site.data)'"])
        #expect(add.status == 0, "\(add.errors)")
        return ["-aet", "CT3", "-aec", "LIFEBOAT", "127.0.0.1", "\(site.dicomPort)", SecurityServeTests.corpus + "CT_small.dcm"]
    }

    @Test func aPasswordOrAJWTOfAUserLetsAnUnlistedAEStoreUnderStrict() async throws {
        try await SecurityServeTests.withServe(config: "", arguments: ["--dicom-strict"]) { site in
            let lifeboat = DumpCommandTests.binary.path
            let store = try await Self.technologistCT3(site)
            let anonymous = try await SecurityServeTests.dcmtk("storescu", store)
            #expect(anonymous.status != 0, "strict: an unlisted AE without a user is rejected")

            let password = try await SecurityServeTests.dcmtk("storescu", ["--user", "ct3", "--password", "modality room three", "-rsp"] + store)
            #expect(password.status == 0, "\(password.text)\(password.errors)")
            let wrong = try await SecurityServeTests.dcmtk("storescu", ["--user", "ct3", "--password", "modality room four"] + store)
            #expect(wrong.status != 0)

            let jwt = try await Subprocess.run(lifeboat, ["token", "jwt", "ct3", "--minutes", "5", "--data", site.data])
            let jwtFile = site.data + "/ct3.jwt"
            try jwt.text.trimmingCharacters(in: .whitespacesAndNewlines).write(toFile: jwtFile, atomically: true, encoding: .utf8)
            let withJWT = try await SecurityServeTests.dcmtk("storescu", ["--jwt", jwtFile, "-rsp"] + store)
            #expect(withJWT.status == 0, "\(withJWT.text)\(withJWT.errors)")
            // The same token with the first letter of its signature changed (the last one's low bits
            // are base64 padding a decoder ignores).
            let parts = jwt.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").map(String.init)
            let signature = parts[2]
            let forged = "\(parts[0]).\(parts[1]).\(signature.hasPrefix("A") ? "B" : "A")\(signature.dropFirst())"
            try forged.write(toFile: jwtFile, atomically: true, encoding: .utf8)
            #expect(try await SecurityServeTests.dcmtk("storescu", ["--jwt", jwtFile] + store).status != 0)

            let failed = try await SecurityServeTests.waitForRecord(site.data) { $0.action == .loginFailed && $0.detail.contains("JWT") }
            #expect(failed?.detail == "user identity refused: JWT refused: its signature is not this node's")
            let records = try SecurityServeTests.records(site.data)
            #expect(records.contains { $0.action == .loginFailed && $0.actor == "ct3" && $0.detail == "user identity refused: wrong user name or password" })
            #expect(records.filter { $0.action == .login && $0.actor == "ct3" && $0.subject == "DICOM CT3" }.count == 2)
            #expect(records.contains { $0.action == .rejection && $0.actor == "CT3" && $0.detail.contains("dicom-strict") })
            // Each refusal is in the server's log too, with why.
            #expect(site.serve.log.contains("association rejected: user identity refused") && site.serve.log.contains("association rejected: calling AE title not recognised"),
                    "\(site.serve.log)")
        }
    }

    /// Guessing a user's password by DICOM user identity negotiation is throttled as sign-ins
    /// on the web are: past five wrong ones, even the right password is refused, and audited so.
    @Test func passwordGuessesByDICOMAreThrottled() async throws {
        try await SecurityServeTests.withServe(config: "", arguments: ["--dicom-strict"]) { site in
            let store = try await Self.technologistCT3(site)
            for guess in 1...5 {
                #expect(try await SecurityServeTests.dcmtk("storescu", ["--user", "ct3", "--password", "guess number \(guess)"] + store).status != 0)
            }
            let right = try await SecurityServeTests.dcmtk("storescu", ["--user", "ct3", "--password", "modality room three"] + store)
            #expect(right.status != 0, "throttled: the right password is not even checked")
            let throttled = try await SecurityServeTests.waitForRecord(site.data) { $0.action == .loginFailed && $0.detail.contains("too many failed sign-ins") }
            #expect(throttled?.actor == "ct3", "\(String(describing: throttled))")
        }
    }
}
