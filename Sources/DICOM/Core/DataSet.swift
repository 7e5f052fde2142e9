/// An ordered collection of data elements (PS3.5 7).
///
/// Elements keep the order they were read in, so a file is written back as it was; new
/// elements are inserted in ascending tag order, as the standard requires.
public struct DataSet: Sendable, Equatable {
    public private(set) var elements: [DataElement] = []
    private var isAscending = true

    public init() {}

    init(reservingCapacity capacity: Int) { elements.reserveCapacity(capacity) }

    public init(_ elements: [DataElement]) {
        for element in elements { self[element.tag] = element }
    }

    public var count: Int { elements.count }
    public var isEmpty: Bool { elements.isEmpty }
    public var tags: [Tag] { elements.map(\.tag) }

    public subscript(tag: Tag) -> DataElement? {
        get { index(of: tag).map { elements[$0] } }
        set {
            if let newValue {
                precondition(newValue.tag == tag, "element \(newValue.tag) stored under \(tag)")
                insert(newValue)
            } else if let found = index(of: tag) {
                elements.remove(at: found)
            }
        }
    }

    public func contains(_ tag: Tag) -> Bool { index(of: tag) != nil }

    /// Appends in stream order; the reader's fast path. An element whose tag is already
    /// present replaces it.
    mutating func append(_ element: consuming DataElement) {
        if !elements.isEmpty, element.tag <= elements[elements.count - 1].tag {
            if element.tag == elements[elements.count - 1].tag {
                elements[elements.count - 1] = element
                return
            }
            if let found = index(of: element.tag) {
                elements[found] = element
                return
            }
            isAscending = false
        }
        elements.append(element)
    }

    private mutating func insert(_ element: DataElement) {
        if let found = index(of: element.tag) {
            elements[found] = element
        } else if isAscending {
            elements.insert(element, at: insertionPoint(for: element.tag))
        } else {
            elements.append(element)
        }
    }

    private func index(of tag: Tag) -> Int? {
        guard isAscending else { return elements.firstIndex { $0.tag == tag } }
        let point = insertionPoint(for: tag)
        return point < elements.count && elements[point].tag == tag ? point : nil
    }

    private func insertionPoint(for tag: Tag) -> Int {
        var low = 0
        var high = elements.count
        while low < high {
            let mid = (low + high) / 2
            if elements[mid].tag < tag { low = mid + 1 } else { high = mid }
        }
        return low
    }

    public static func == (lhs: DataSet, rhs: DataSet) -> Bool { lhs.elements == rhs.elements }
}

extension DataSet: Swift.Sequence {
    public func makeIterator() -> IndexingIterator<[DataElement]> { elements.makeIterator() }
}
