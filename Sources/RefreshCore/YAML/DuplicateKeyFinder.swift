/// Finds where a duplicate mapping key is written again.
///
/// Yams stops at the first duplicate key and marks only its first occurrence, so no tree is
/// left to look the second one up in. A compiler points at the repetition, not at the
/// original, so this reads the source text from the first occurrence on: in a block mapping,
/// the next line whose key starts at the same column (the mapping ends at the first line
/// indented less); in a flow mapping, the next key at the same nesting depth.
enum DuplicateKeyFinder {
    /// Where `key`, first written at `first`, is written again in the same mapping; `nil`
    /// when the text does not say plainly (the caller then reports the first occurrence).
    static func repetition(of key: String, firstAt first: (line: Int, column: Int), in text: String) -> Position? {
        let lines = self.lines(of: text)
        let row = first.line - 1
        let column = first.column - 1
        guard !key.isEmpty, row >= 0, row < lines.count, column >= 0, column < lines[row].count else { return nil }
        let forms = writtenForms(of: key)
        guard let afterFirst = keyEnd(forms, in: lines[row], at: column) else { return nil }
        if isInFlowMapping(lines, row: row, column: column) {
            return flowRepetition(forms, lines, row: row, from: afterFirst)
        }
        return blockRepetition(forms, lines, row: row, column: column)
    }

    /// A line and column, both from 1.
    typealias Position = (line: Int, column: Int)

    /// The key as it may be written: plain, single-quoted, double-quoted.
    private struct Form {
        var scalars: [Unicode.Scalar]
        var plain: Bool
    }

    private static func writtenForms(of key: String) -> [Form] {
        let single = "'" + key.replacingOccurrences(of: "'", with: "''") + "'"
        let double = "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        return [
            Form(scalars: Array(key.unicodeScalars), plain: true),
            Form(scalars: Array(single.unicodeScalars), plain: false),
            Form(scalars: Array(double.unicodeScalars), plain: false),
        ]
    }

    /// The lines of `text`, split at the line breaks libyaml counts.
    private static func lines(of text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = [[]]
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n":
                if !previousWasCR { lines.append([]) }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}":
                lines.append([])
            default:
                lines[lines.count - 1].append(scalar)
            }
            previousWasCR = scalar == "\r"
        }
        return lines
    }

    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }

    /// The index just past the `:` when `line` holds the key at `index`, else `nil`.
    private static func keyEnd(_ forms: [Form], in line: [Unicode.Scalar], at index: Int) -> Int? {
        for form in forms where line.count - index >= form.scalars.count {
            guard line[index..<(index + form.scalars.count)].elementsEqual(form.scalars) else { continue }
            var j = index + form.scalars.count
            while j < line.count, isBlank(line[j]) { j += 1 }
            guard j < line.count, line[j] == ":" else { continue }
            // A plain `a:b` is one scalar; a plain key's colon is followed by a blank or the end.
            if form.plain, j + 1 < line.count, !isBlank(line[j + 1]) { continue }
            return j + 1
        }
        return nil
    }

    /// Whether the key at `row`:`column` follows `{` or `,`, i.e. sits in a flow mapping.
    private static func isInFlowMapping(_ lines: [[Unicode.Scalar]], row: Int, column: Int) -> Bool {
        var r = row
        var c = column - 1
        while r >= 0 {
            while c >= 0 {
                let scalar = lines[r][c]
                if !isBlank(scalar) { return scalar == "{" || scalar == "," }
                c -= 1
            }
            r -= 1
            if r >= 0 { c = lines[r].count - 1 }
        }
        return false
    }

    /// The next line at the first key's indentation that holds the key, before the mapping ends.
    private static func blockRepetition(_ forms: [Form], _ lines: [[Unicode.Scalar]], row: Int, column: Int) -> Position? {
        for r in (row + 1)..<lines.count {
            let line = lines[r]
            guard let indent = line.firstIndex(where: { !isBlank($0) }), line[indent] != "#" else { continue }
            if indent < column { return nil }
            if indent == column, keyEnd(forms, in: line, at: column) != nil {
                return (r + 1, column + 1)
            }
        }
        return nil
    }

    /// The next key after a `,` at the first key's depth, before the mapping's `}`.
    private static func flowRepetition(_ forms: [Form], _ lines: [[Unicode.Scalar]], row: Int, from start: Int) -> Position? {
        var depth = 0
        var quote: Unicode.Scalar?
        var r = row
        var c = start
        var afterComma = false
        // The last character outside quotes that was not blank: a quote opens a scalar only
        // where a scalar may start, so the apostrophe of `it's` is text.
        var previous: Unicode.Scalar = ":"
        while r < lines.count {
            let line = lines[r]
            while c < line.count {
                let scalar = line[c]
                if let open = quote {
                    if open == "\"", scalar == "\\" {
                        c += 2
                        continue
                    }
                    if scalar == open {
                        if open == "'", c + 1 < line.count, line[c + 1] == "'" {
                            c += 2
                            continue
                        }
                        quote = nil
                    }
                    c += 1
                    continue
                }
                if afterComma, !isBlank(scalar) {
                    afterComma = false
                    if depth == 0, keyEnd(forms, in: line, at: c) != nil {
                        return (r + 1, c + 1)
                    }
                }
                defer { if !isBlank(scalar) { previous = scalar } }
                switch scalar {
                case "\"", "'":
                    if "{[,:?".unicodeScalars.contains(previous) { quote = scalar }
                case "{", "[": depth += 1
                case "}", "]":
                    if depth == 0 { return nil }
                    depth -= 1
                case ",": afterComma = true
                case "#" where c == 0 || isBlank(line[c - 1]):
                    c = line.count
                    continue
                default: break
                }
                c += 1
            }
            r += 1
            c = 0
        }
        return nil
    }
}
