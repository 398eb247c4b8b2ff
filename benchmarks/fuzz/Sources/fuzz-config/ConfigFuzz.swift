// The configuration reader: ServeConfiguration.load(file:environment:options:) on the input as the
// text of a configuration file. load only reads files, so each input is written to one temporary
// file first. Thrown errors are the expected answer to bad input; only a trap or a sanitizer report
// is a finding.
//
// `secret_file` names a file to read: an input naming one by a path (anything with a '/') is
// skipped, so that the fuzzer never reads /dev/zero or the like; a bare name is read from the
// working directory, where run.sh puts a valid secret (`secret`) and a file that is not one (`junk`).
import FuzzSupport
import TesseraApp
import TesseraGeometry

#if canImport(Glibc)
    import Glibc
#endif

/// The environment every input is read with: `secret_env` can name a usable, an unusable and an
/// empty secret; nothing else of the real environment is seen.
let environment = [
    "TESSERA_FUZZ_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "TESSERA_FUZZ_BAD_SECRET": "hunter2",
    "TESSERA_FUZZ_EMPTY": "",
]

/// The temporary file each input is written to (in /dev/shm when there is one).
nonisolated(unsafe) var path = ""
let descriptor: Int32 = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    var template = Array("\(directory)/tessera-fuzz-config-XXXXXX.json".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 5) }
    guard fd >= 0 else { fatalError("cannot create a temporary file in \(directory)") }
    path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    atexit { unlink(path) }
    return fd
}()

/// True when some `secret_file` member names a path rather than a bare file name.
func namesAPath(_ value: JSONValue) -> Bool {
    switch value {
    case .object(let members):
        return members.contains { member in
            if member.key == "secret_file", case .string(let s) = member.value, s.contains("/") { return true }
            return namesAPath(member.value)
        }
    case .array(let items):
        return items.contains(where: namesAPath)
    default:
        return false
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let value = try? JSONValue.parse(bytes), namesAPath(value) { return -1 }  // not added to the corpus
    guard ftruncate(descriptor, 0) == 0, size == 0 || pwrite(descriptor, data, size, 0) == size else {
        fatalError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    if let configuration = try? ServeConfiguration.load(file: path, environment: environment) {
        _ = configuration.subscriptions.map(\.definition.filter?.boundingBox)
    }
    return 0
}

@_cdecl("fuzz_config_main")
func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    _ = descriptor
    return tessera_fuzz_run(argc, argv, fuzz)
}
