package dev.weft.loop;

/**
 * Who is at the other end of a Unix domain socket, as the kernel recorded it when the connection
 * was made ({@code SO_PEERCRED} on Linux): {@code Transport.extraInfo("peercred")}.
 *
 * <p>Immutable: any thread may read it.
 *
 * @param pid the peer's process id (0 when the kernel does not know it)
 * @param uid the peer's effective user id
 * @param gid the peer's effective group id
 */
public record PeerCredentials(int pid, int uid, int gid) {
}
