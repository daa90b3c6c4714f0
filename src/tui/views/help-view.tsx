import { Box, Text } from 'ink';
import { KEYS } from '../keys.js';
import { fit } from '../text.js';

export function HelpView({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{fit('Keys', width)}</Text>
      {KEYS.slice(0, height - 1).map(([k, v]) => <Text key={k}>{fit(`  ${k.padEnd(12)} ${v}`, width)}</Text>)}
    </Box>
  );
}
