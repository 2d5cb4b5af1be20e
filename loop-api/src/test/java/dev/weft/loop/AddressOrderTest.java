package dev.weft.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressOrderTest {
    private static InetSocketAddress v4(int n) {
        return new InetSocketAddress("127.0.0." + n, 80);
    }

    private static InetSocketAddress v6(int n) {
        return new InetSocketAddress("::" + n, 80);
    }

    @Test
    void shouldAlternateFamiliesStartingWithTheFirstOneListedWhenInterleaveIsOne() {
        List<InetSocketAddress> in = List.of(v6(1), v6(2), v6(3), v4(1), v4(2));
        assertEquals(List.of(v6(1), v4(1), v6(2), v4(2), v6(3)), AddressOrder.interleave(in, 1));
        assertEquals(List.of(v4(1), v6(1), v4(2), v6(2), v6(3)),
                AddressOrder.interleave(List.of(v4(1), v4(2), v6(1), v6(2), v6(3)), 1));
    }

    @Test
    void shouldPutInterleaveMinusOneAddressesOfTheFirstFamilyFirst() {
        List<InetSocketAddress> in = List.of(v6(1), v6(2), v6(3), v6(4), v4(1), v4(2));
        assertEquals(List.of(v6(1), v6(2), v4(1), v6(3), v4(2), v6(4)), AddressOrder.interleave(in, 2));
        assertEquals(List.of(v6(1), v6(2), v6(3), v6(4), v4(1), v4(2)), AddressOrder.interleave(in, 4));
        assertEquals(in, AddressOrder.interleave(in, 10));
    }

    @Test
    void shouldKeepASingleFamilyInItsOrder() {
        List<InetSocketAddress> in = List.of(v4(3), v4(1), v4(2));
        assertEquals(in, AddressOrder.interleave(in, 1));
        assertEquals(List.of(), AddressOrder.interleave(List.of(), 1));
    }
}
