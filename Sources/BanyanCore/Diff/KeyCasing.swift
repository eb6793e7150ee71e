/// The naming conventions a key can follow, used to recognise `fullName` and `full_name` as one key.
enum KeyCasing: String {
    case camelCase
    case snakeCase = "snake_case"
    case kebabCase = "kebab-case"
    case pascalCase = "PascalCase"
    case screamingSnakeCase = "SCREAMING_SNAKE_CASE"

    /// The convention `key` is written in (single lower-case words count as camelCase).
    init(of key: String) {
        let hasLower = key.contains { $0.isLowercase }
        if key.contains("_") {
            self = hasLower ? .snakeCase : .screamingSnakeCase
        } else if key.contains("-") {
            self = .kebabCase
        } else if key.first?.isUppercase == true {
            self = .pascalCase
        } else {
            self = .camelCase
        }
    }

    /// The words of a key, lower-cased: `fullName`, `full_name`, `Full-Name` and `FULL_NAME` all give
    /// `full name`; `userID` gives `user id`, `HTTPServer` gives `http server`.
    static func words(of key: String) -> String {
        var words: [String] = []
        var current = ""
        let characters = Array(key)
        for (offset, character) in characters.enumerated() {
            if character == "_" || character == "-" || character == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            if character.isUppercase && !current.isEmpty {
                let previous = characters[offset - 1]
                let next = offset + 1 < characters.count ? characters[offset + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    words.append(current)
                    current = ""
                }
            }
            current.append(character)
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }.joined(separator: " ")
    }
}
