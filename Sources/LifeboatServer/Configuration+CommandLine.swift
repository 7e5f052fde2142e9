import Foundation
import Yams

/// The command line of `lifeboat serve`: every key of the file is an option of the same
/// name, read by the same code (its kind and range checked the same way), so a key is
/// declared once, in `Configuration.keys`.
extension Configuration {
    /// Puts `--key value` (or `--key=value`) settings over these. A true/false key may stand
    /// alone (`--dicom-strict`); a list key may be repeated or take values separated by
    /// commas; `replication-targets` and `dicom-peers`, lists of mappings, are in the file only.
    public mutating func apply(commandLine arguments: [String]) throws(ConfigurationError) {
        var values: [(key: Key, values: [String])] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--") else { throw ConfigurationError("unexpected argument \"\(argument)\"") }
            let (name, inline) = Self.split(argument.dropFirst(2))
            guard let key = Self.keys.first(where: { $0.name == name }), !key.fileOnly else {
                let known = Self.keys.first { $0.name == name }
                throw ConfigurationError(known == nil ? "unknown option --\(name)" : "\(name) is set in the --config file only")
            }
            var value = inline
            if value == nil && key.isBoolean {
                // Standing alone means true; a true/false word after it is its value.
                if index < arguments.endIndex, Self.booleanWords.contains(arguments[index].lowercased()) {
                    value = arguments[index]
                    index += 1
                } else {
                    value = "true"
                }
            } else if value == nil {
                guard index < arguments.endIndex else { throw ConfigurationError("--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            if let at = values.firstIndex(where: { $0.key.name == name }) {
                values[at].values.append(value ?? "")
            } else {
                values.append((key, [value ?? ""]))
            }
        }
        for (key, texts) in values {
            let items = texts.flatMap { $0.split(separator: ",") }.map { Node($0.trimmingCharacters(in: .whitespaces)) }
            let node: Node = key.isList ? .sequence(Node.Sequence(items)) : Node(texts.last ?? "")
            do {
                try key.read(&self, node)
            } catch {
                throw ConfigurationError("--\(key.name): \(error)")
            }
        }
    }

    /// The options as `lifeboat serve --help` lists them: each key's name, what it means and
    /// its default, wrapped to fit 80 columns.
    public static var commandLineHelp: String {
        let defaults = Configuration()
        return keys.filter { !$0.fileOnly }.map { key in
            let value = key.isBoolean ? "" : key.isList ? " <value>..." : " <value>"
            let shown = key.write(defaults)
            let fallback = shown.isEmpty || shown == "\"\"" || shown == "[]" ? "" : " (default: \(shown))"
            return (["  --\(key.name)\(value)"] + wrapped(key.help + fallback, width: 72).map { "      " + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Words on lines of at most `width` characters (a longer word stands alone).
    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return line.isEmpty ? lines : lines + [line]
    }

    static let booleanWords: Set<String> = ["true", "false", "yes", "no", "on", "off"]

    private static func split(_ text: Substring) -> (String, String?) {
        guard let equals = text.firstIndex(of: "=") else { return (String(text), nil) }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}
