import DICOM

/// SOP classes the network layer needs by name.
public enum SOPClass {
    /// PS3.4 A.4.
    public static let verification = "1.2.840.10008.1.1"

    /// Every storage SOP class in the UID registry (PS3.4 B.5): the ones a modality may send.
    public static let storage: Set<String> = Set(UIDRegistry.entries(ofType: "SOP Class").filter {
        $0.name.contains("Storage") && !$0.name.contains("Commitment")
    }.map(\.uid))
}
