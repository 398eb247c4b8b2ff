// A fast webhook receiver for the delivery benchmark: HTTP/1.1 keep-alive, one thread, epoll.
// Answers every request `200 OK` with an empty body and counts requests (printed on SIGTERM/SIGINT).
// It reads request heads and skips Content-Length bodies; chunked bodies are not supported (the
// dispatcher and wrk both send Content-Length).
//   cc -O2 -o receiver receiver.c && ./receiver 18080
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER 65536
#define MAX_FDS 65536

struct conn {
    char buf[BUFFER];
    size_t len;
    size_t skip;  // body bytes still to discard
};

static struct conn *conns[MAX_FDS];
static volatile sig_atomic_t stop = 0;
static unsigned long long requests = 0;
static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

static void on_signal(int sig) { (void)sig; stop = 1; }

static void close_conn(int epfd, int fd) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    free(conns[fd]);
    conns[fd] = NULL;
}

// Handles every complete request in the buffer; returns -1 on a malformed request.
static int process(struct conn *c, int fd) {
    char out[sizeof(reply) * 64];
    size_t outlen = 0;
    size_t pos = 0;
    for (;;) {
        if (c->skip > 0) {
            size_t n = c->len - pos < c->skip ? c->len - pos : c->skip;
            pos += n;
            c->skip -= n;
            if (c->skip > 0) break;
        }
        char *start = c->buf + pos;
        size_t avail = c->len - pos;
        char *end = memmem(start, avail, "\r\n\r\n", 4);
        if (!end) break;
        size_t head = (size_t)(end - start) + 4;
        size_t body = 0;
        for (char *line = start; line < end;) {
            char *eol = memmem(line, (size_t)(end - line) + 2, "\r\n", 2);
            if (!eol) break;
            if ((size_t)(eol - line) > 15 && strncasecmp(line, "content-length:", 15) == 0) {
                body = strtoul(line + 15, NULL, 10);
            }
            line = eol + 2;
        }
        pos += head;
        c->skip = body;
        requests++;
        memcpy(out + outlen, reply, sizeof(reply) - 1);
        outlen += sizeof(reply) - 1;
        if (outlen + sizeof(reply) > sizeof(out)) {
            if (write(fd, out, outlen) < 0) return -1;
            outlen = 0;
        }
    }
    if (outlen > 0 && write(fd, out, outlen) < 0) return -1;
    memmove(c->buf, c->buf + pos, c->len - pos);
    c->len -= pos;
    if (c->len == BUFFER) return -1;  // a head larger than the buffer
    return 0;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 18080;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 1024) < 0) {
        perror("receiver: bind/listen");
        return 1;
    }
    int epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event events[256];
    fprintf(stderr, "receiver: listening on 127.0.0.1:%d\n", port);
    while (!stop) {
        int n = epoll_wait(epfd, events, 256, 200);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                int cfd;
                while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (cfd >= MAX_FDS) { close(cfd); continue; }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    conns[cfd] = calloc(1, sizeof(struct conn));
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                    epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &cev);
                }
                continue;
            }
            struct conn *c = conns[fd];
            if (!c) continue;
            for (;;) {
                ssize_t r = read(fd, c->buf + c->len, BUFFER - c->len);
                if (r > 0) {
                    c->len += (size_t)r;
                    if (process(c, fd) < 0) { close_conn(epfd, fd); break; }
                    continue;
                }
                if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) close_conn(epfd, fd);
                break;
            }
        }
    }
    printf("%llu\n", requests);
    return 0;
}
