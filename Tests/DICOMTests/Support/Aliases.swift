import DICOM

/// Swift Testing has a `Tag` of its own; in these tests `Tag` is the DICOM one.
typealias Tag = DICOM.Tag
