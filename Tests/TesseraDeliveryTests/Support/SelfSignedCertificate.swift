/// A self-signed certificate for CN=localhost and IP 127.0.0.1 (valid for a century), made with
/// `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=localhost
/// -addext subjectAltName=DNS:localhost,IP:127.0.0.1`. No system trusts it: a TLS receiver using it
/// must be refused.
enum SelfSignedCertificate {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIDJzCCAg+gAwIBAgIUVHq1LErDtBJcdsBbsgWzAicrbo8wDQYJKoZIhvcNAQEL
        BQAwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMzIxNTcwOVoYDzIxMjYx
        MDMwMjE1NzA5WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEB
        AQUAA4IBDwAwggEKAoIBAQCZqLLBvIL997SW26NmtMIkmImw4eBINLp3R7872gNI
        KpIQLMNAb2zffpzknVUfxU90x110Cc+SQKJdflgKVZQmJKLOWrsn7jiSHkX0i6vP
        F3k70GJwyta4MOBm2M5VvVjo6oqR/VqO+/Rg757z8WDpLbjlySt5S4Zae0U4JF6X
        lbv2iuenlcyZc3pjEg5CzQ55W1iR+4y9iPPAgCmFjcRDsWf0FN430EbvYKd/IME2
        JcjWAMT8ESalAYEjhTlPFgbXoaLsgwiUYwQ41mS8h0hcM1SjyxZ22TVrKf9ptZ0G
        NFR9TwnSbmQDWgp+wVHeB3i9TUMcN+KVSXh+bg2Nr8mxAgMBAAGjbzBtMB0GA1Ud
        DgQWBBR1wgOYamo2gOxJfd/akPdpK7jJjTAfBgNVHSMEGDAWgBR1wgOYamo2gOxJ
        fd/akPdpK7jJjTAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGCCWxvY2FsaG9z
        dIcEfwAAATANBgkqhkiG9w0BAQsFAAOCAQEAB2G9Fz/xfIWYGW22XHneBr9Trgw8
        aQvoWJ5t2RtKqmfSf0e5YuZAdvusszJRU7728prMqjjPcDlrk1YzH9H3mJEo8ZBL
        PlbNrT8INsAk0yy3Kp0NN3wmCUdMDkY98kk6eJKZaC3TRImzkaVpe1wfl6SACsR2
        3ipPl12T2SYxk1PCr0MJ9IEh/g4mVBHTv6z/AdS+cAH1vi3ic5ZjyslJY1oiZaat
        C1h7DZCfFJYEL9/OGZdCc0ZhjTS8rQgAacRDRDvy6QjFdPzDlqnvbUp9vpVh8sr+
        qxOff2TJOSx5F4LBh2vGnxkRYmBQ8Ts+YqCs1ete6iwlf7MejvLlxZUsNA==
        -----END CERTIFICATE-----
        """

    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCZqLLBvIL997SW
        26NmtMIkmImw4eBINLp3R7872gNIKpIQLMNAb2zffpzknVUfxU90x110Cc+SQKJd
        flgKVZQmJKLOWrsn7jiSHkX0i6vPF3k70GJwyta4MOBm2M5VvVjo6oqR/VqO+/Rg
        757z8WDpLbjlySt5S4Zae0U4JF6Xlbv2iuenlcyZc3pjEg5CzQ55W1iR+4y9iPPA
        gCmFjcRDsWf0FN430EbvYKd/IME2JcjWAMT8ESalAYEjhTlPFgbXoaLsgwiUYwQ4
        1mS8h0hcM1SjyxZ22TVrKf9ptZ0GNFR9TwnSbmQDWgp+wVHeB3i9TUMcN+KVSXh+
        bg2Nr8mxAgMBAAECggEAOEbPVWJX7XED3H6LvWl1c1bEkxpe/MMHCfmmgeKqcgtZ
        XIAwcJB+pOonxxkSXKT0oVYFFaMkOTHf5XMJBpvqOwAO+pnDUvAOGwHoaBShc6Lq
        vWvoKdw4QNRx02kTRNao0gFYh/hs6tI/YiNQqZJdhnk+7zW67N0q00ezhcjYNhbI
        sB0D3yNfxRY0Qrs1ssa8Plg9+Zrk7AEbw6jaVzzYV0buPPeJx7JIZlkjShwuThPj
        7RuokPl9UozYHtWjplCM0YdKktStn84Te38zvZWvszj02GpfRQ6fG0XpTdE+x7Rw
        ym0vjSzjcYDajgY5EzyfF+GZoMLPqV/F2V+VM21hewKBgQDXTIEbnMjVLdAaGfOc
        XOO4MfjZB2F+iUUKLKF906Jftvlu+SaX+OMbAfwg5ECTKoCSCyA4At8qmocp0zVX
        2ylNDSEpBg6MkYoIqqhMn6nj5noE3OUEAoDb+tJblQNMAqVzHEsj6ziwsGIillsZ
        roekPD3qSJ43N0ydfjIYu9GQvwKBgQC2tRoDoSJmCIoZskKiRvahpWmWX2b/ym4/
        GLVC/CT7CLanvIYNpCWxU0p+uy05MY3TDbZCiCEMv4Nk8UCjx519avVpiFmiZYoH
        HbcTIP4//W5En0S+L8m/yANVUFz23SNw4qvaqGakuV7cIQZs/F3XPWVGIEEXwP3O
        wripnIzRjwKBgQC7k1HgxsZKxPFL7FRMZLmZnyAZpc6ROfNGm//O6nXLQlUrFDNF
        sHfc7evGlFaWYS9HDh5x7j6UlbExBWyyMKVZFhlP7pD6c0p5poWezHRttD2WwwVc
        avntridb1wXaUWvoUDw+/Q6VEfdN/wU76M0Qj9O5rK77mFhN1sa6udgpbQKBgQCA
        3C3izWzDZdZw1Sbl6QLdcxqLMfIlChLDcZu2CLvUSYr5tp8dU945uLLbuwvkQKz0
        Y8FeH0CgCxqSwQyD9q9+20cHDWGahd7Zsf2DAkwPuaBhyarkMDQsjNa8/xbyDXmH
        jncCmq76ErtyqeAsUbmlqumYkfsW08iuYOt4xK8UxQKBgFM2iFHRgQ07ApzM/znK
        JXG2ev9asohLFsPLkeks3QWUWK6T4mmz/LOigig05IWJAz4PG6n4sr2vP7+HgB08
        9alJer8K+TSiQWRLlASlIvAPmGfgl+gq33HHKNTgXxg6e/tS1FQqgxuVhvkB8yCH
        cQNyqTLk7MA4B8mYyxKfD9b1
        -----END PRIVATE KEY-----
        """
}
