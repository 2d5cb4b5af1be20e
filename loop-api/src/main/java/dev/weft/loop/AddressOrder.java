package dev.weft.loop;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The order in which {@link EventLoop#createConnection} tries resolved addresses (RFC 8305 section
 * 4, asyncio's {@code interleave}). Stateless; any thread.
 */
final class AddressOrder {
    private AddressOrder() {
    }

    /**
     * Interleaves {@code addresses} by family, keeping the order within each family: the first
     * {@code firstFamilyCount - 1} addresses of the family that comes first, then one address of
     * each family in turn (families in order of first appearance) until all are used. Returns a new
     * list; {@code firstFamilyCount} must be at least 1.
     */
    static List<InetSocketAddress> interleave(List<InetSocketAddress> addresses, int firstFamilyCount) {
        List<List<InetSocketAddress>> families = new ArrayList<>(2);
        List<Boolean> isV6 = new ArrayList<>(2);
        for (InetSocketAddress a : addresses) {
            boolean v6 = a.getAddress() instanceof Inet6Address;
            int i = isV6.indexOf(v6);
            if (i < 0) {
                isV6.add(v6);
                families.add(new ArrayList<>());
                i = families.size() - 1;
            }
            families.get(i).add(a);
        }
        List<InetSocketAddress> out = new ArrayList<>(addresses.size());
        int[] next = new int[families.size()];
        if (!families.isEmpty()) {
            List<InetSocketAddress> first = families.get(0);
            while (next[0] < Math.min(firstFamilyCount - 1, first.size())) {
                out.add(first.get(next[0]++));
            }
        }
        while (out.size() < addresses.size()) {
            for (int f = 0; f < families.size(); f++) {
                if (next[f] < families.get(f).size()) {
                    out.add(families.get(f).get(next[f]++));
                }
            }
        }
        return out;
    }
}
