import DICOM

/// SOP classes the network layer needs by name.
public enum SOPClass {
    /// PS3.4 A.4.
    public static let verification = "1.2.840.10008.1.1"

    /// PS3.4 C.6.1.3: Patient Root Query/Retrieve Information Model - FIND, MOVE, GET.
    public static let patientRootFind = "1.2.840.10008.5.1.4.1.2.1.1"
    public static let patientRootMove = "1.2.840.10008.5.1.4.1.2.1.2"
    public static let patientRootGet = "1.2.840.10008.5.1.4.1.2.1.3"
    /// PS3.4 C.6.2.3: Study Root Query/Retrieve Information Model - FIND, MOVE, GET.
    public static let studyRootFind = "1.2.840.10008.5.1.4.1.2.2.1"
    public static let studyRootMove = "1.2.840.10008.5.1.4.1.2.2.2"
    public static let studyRootGet = "1.2.840.10008.5.1.4.1.2.2.3"

    /// Every storage SOP class in the UID registry (PS3.4 B.5): the ones a modality may send.
    public static let storage: Set<String> = Set(UIDRegistry.entries(ofType: "SOP Class").filter {
        $0.name.contains("Storage") && !$0.name.contains("Commitment")
    }.map(\.uid))
}
