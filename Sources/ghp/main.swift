import GHPCommands
import GHPKit
import Glibc

// The command line lives in GHPCommands (`GHPMain`), where tests run it in process.
NetworkDeadline.configure(ThisProcess.environment)
NetworkDeadline.exitWhenSilent = true
let arguments = Array(CommandLine.arguments.dropFirst())
// In a contained `ghp run` worker, the command is carried out by the supervisor.
if let code = WorkerClient.forwardIfContained(arguments, environment: ThisProcess.environment) { exit(code) }
exit(GHPMain.run(arguments))
