import Testing

@testable import TesseraDelivery

@Suite struct AddressPolicyTests {
    static let refused: [(String, String)] = [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.10", "private"),
        ("fd12:3456::1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("fd00:ec2::254", "metadata"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, loopback"),
        ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, cloud metadata"),
        ("::ffff:a9fe:a9fe", "IPv4-mapped form of 169.254.169.254, cloud metadata"),
        ("64:ff9b::10.0.0.1", "NAT64 form of 10.0.0.1, private"),
        ("::127.0.0.1", "IPv4-compatible"),
    ]

    static let allowed = [
        "93.184.215.14", "8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "169.253.0.1",
        "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
    ]

    @Test(arguments: refused)
    func refusesInternalAddresses(_ text: String, _ reason: String) throws {
        let address = try #require(IPAddress(text))
        let error = #expect(throws: AddressPolicyError.self) { try AddressPolicy().check(address) }
        #expect(error?.code == .addressRefused)
        #expect(error?.description.contains(reason) == true, "\(text): \(error?.description ?? "")")
        #expect(error?.description.contains("address ") == true)
    }

    @Test(arguments: allowed)
    func allowsPublicAddresses(_ text: String) throws {
        let address = try #require(IPAddress(text))
        try AddressPolicy().check(address)
    }

    @Test func allowListOverrides() throws {
        let policy = try AddressPolicy(allowing: ["127.0.0.0/8", "fd00::/8"])
        try policy.check(#require(IPAddress("127.0.0.1")))
        try policy.check(#require(IPAddress("::ffff:127.0.0.1")))
        try policy.check(#require(IPAddress("fd12::1")))
        #expect(throws: AddressPolicyError.self) { try policy.check(#require(IPAddress("10.0.0.1"))) }
        #expect(throws: AddressPolicyError.self) { try policy.check(#require(IPAddress("::1"))) }
    }

    @Test func invalidAllowListEntriesAreNamed() {
        for text in ["10.0.0.0/33", "banana", "10.0.0.1/8", "::1/129"] {
            let error = #expect(throws: AddressPolicyError.self) { try AddressPolicy(allowing: [text]) }
            #expect(error?.code == .invalidCIDR)
            #expect(error?.description.contains(text) == true)
        }
    }

    @Test func parsesAndPrintsAddresses() {
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:0db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("[::1]")?.description == "::1")
        #expect(IPAddress("1.2.3.4")?.description == "1.2.3.4")
        #expect(IPAddress("::ffff:1.2.3.4")?.description == "::ffff:1.2.3.4")
        for bad in ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1::2::3", "12345::", "example.com", ""] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func checksURLsWithoutResolving() throws {
        let policy = AddressPolicy()
        let url = try policy.checkURL("https://hooks.example.com:8443/x?y=1")
        #expect(url.host == "hooks.example.com")
        #expect(url.port == 8443)
        #expect(try policy.checkURL("http://example.com/").port == 80)
        let cases: [(String, String)] = [
            ("ftp://example.com/", "scheme must be http or https"),
            ("http://user:pw@example.com/", "user information"),
            ("http:///path", "has no host"),
            ("http://example.com:0/", "port"),
            ("http://example.com:70000/", "port must be 1...65535"),
            ("not a url", "scheme"),
            ("http://127.0.0.1/", "loopback"),
            ("http://[::1]:8080/", "loopback"),
            ("http://169.254.169.254/latest/meta-data", "metadata"),
            ("http://localhost:8080/", "loopback"),
            ("http://api.localhost/", "loopback"),
            ("http://2130706433/", "not a valid name"),
            ("http://0x7f000001/", "not a valid name"),
            ("http://127.1/", "not a valid name"),
            ("http://[::ffff:10.0.0.1]/", "private"),
        ]
        for (text, reason) in cases {
            let error = #expect(throws: AddressPolicyError.self, "\(text)") { try policy.checkURL(text) }
            #expect(error?.description.contains(reason) == true, "\(text): \(error?.description ?? "none")")
        }
        let local = try AddressPolicy(allowing: ["127.0.0.1/32"])
        try local.checkURL("http://localhost:8080/hook")
        try local.checkURL("http://127.0.0.1:8080/hook")
    }
}
