// ghp is built and tested on Linux only. What it asks of the system that Linux answers its own way:
// a process's start time and environment from /proc (`ProcessIdentity`, `RunProcesses`), the holder
// of a lock from /proc/locks (`WriterLock`), the executable from /proc/self/exe (`ThisProcess`), and
// a worker's death with its supervisor from prctl(PR_SET_PDEATHSIG) (CProcess). A port to another
// system answers these first; until then the build says so instead of compiling a ghp that cannot
// tell a live lock holder from a dead one.
#if !os(Linux)
  #error("ghp builds on Linux only: see Sources/GHPKit/Support/Platform.swift")
#endif
