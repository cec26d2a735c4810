import ArgumentParser
import GHPKit

extension GHP {
  struct Manual: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "man", abstract: "Print ghp's manual page (roff), made from the help of every command.",
      discussion: """
        scripts/install installs it as ghp(1). Read it here with: ghp man | man -l -

        Example:
          ghp man > ghp.1
        """)

    /// Accepted like every command's (`ghp -C repo man`), though the page is the same anywhere.
    @OptionGroup var global: GlobalOptions

    func run() throws {
      Output.text(Self.page())
    }

    /// The whole page: name, synopsis, description, exit status, then every command's own help.
    static func page() -> String {
      var page = """
        .TH GHP 1 "" "ghp \(GHP.configuration.version)" "User Commands"
        .SH NAME
        ghp \\- \(roff(GHP.configuration.abstract))
        .SH SYNOPSIS
        .B ghp
        \\fIcommand\\fR [\\fIoptions\\fR]
        .SH DESCRIPTION
        \(roff(GHP.configuration.discussion))
        .PP
        Every command takes \\fB\\-C\\fR \\fIpath\\fR, \\fB\\-\\-json\\fR, and, for those that act, \\fB\\-\\-agent\\fR \\fIname\\fR and \\fB\\-\\-new\\fR.
        .SH EXIT STATUS
        .TP
        .B 0
        done
        .TP
        .B 1
        failure (the one line on standard error says what to run next)
        .TP
        .B 2
        usage: a bad argument, an unknown issue, agent or setting, a dependency cycle, an empty text
        .TP
        .B 3
        refused by the coordination rules: held by another agent, not authorised, blocked by a hook
        .TP
        .B 4
        nothing ready (\\fBclaim \\-\\-next\\fR)
        .SH COMMANDS

        """
      for (path, command) in commands(GHP.self, path: []) {
        page += ".SS \"ghp \(path.joined(separator: " "))\"\n"
        page += ".nf\n" + roff(GHP.helpMessage(for: command, columns: 78)).trimmingCharacters(in: "\n") + "\n.fi\n"
      }
      page += ".SH FILES\n.TP\n.B refs/heads/ghp/state\nthe coordination state: one commit per change\n"
      page += ".SH SEE ALSO\n.BR git (1),\n.BR git-log (1)\n"
      return page
    }

    /// Every command under `root` with its words, depth first, in the order the help lists them.
    static func commands(_ root: ParsableCommand.Type, path: [String]) -> [([String], ParsableCommand.Type)] {
      root.configuration.subcommands.flatMap { sub -> [([String], ParsableCommand.Type)] in
        guard let name = sub.configuration.commandName, sub != Manual.self else { return [] }
        return [(path + [name], sub)] + commands(sub, path: path + [name])
      }
    }

    /// Text made safe for roff: backslashes escaped, no line read as a request.
    static func roff(_ text: String) -> String {
      text.replacing("\\", with: "\\e").split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.hasPrefix(".") || $0.hasPrefix("'") ? "\\&" + $0 : String($0) }.joined(separator: "\n")
    }
  }
}
