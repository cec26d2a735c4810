import GHPCommands
import GHPKit
import Glibc

// The command line lives in GHPCommands (`GHPMain`), where tests run it in process.
NetworkDeadline.configure(ThisProcess.environment)
NetworkDeadline.exitWhenSilent = true
exit(GHPMain.run(Array(CommandLine.arguments.dropFirst())))
