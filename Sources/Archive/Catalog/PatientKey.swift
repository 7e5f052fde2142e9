/// What makes two instances one patient's. With a Patient ID: the ID and its issuer (PS3.3
/// C.7.1.1). Without one, an ID cannot join them: the name and birth date must both be the
/// same — so a different name or birth date stays a different patient —, and with neither, the
/// study stands alone. Wrongly parting one person's studies is put right by a correction; wrongly
/// joining two people's would show one patient another's images.
enum PatientKey {
    /// The catalog's `anonymousKey` for these attributes: '' when there is a Patient ID.
    static func of(_ attributes: InstanceAttributes) -> String {
        attributes.patientID.isEmpty
            ? anonymous(name: attributes.patientName, birthDate: attributes.patientBirthDate, study: attributes.studyInstanceUID) : ""
    }

    static func anonymous(name: String, birthDate: String, study: String) -> String {
        name.isEmpty && birthDate.isEmpty ? "study \(study)" : "name \(name)\u{1F}birth \(birthDate)"
    }
}
