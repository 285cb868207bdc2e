import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import type { WorkbenchClient } from './client/client.ts';
import { connect } from './client/connect.ts';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { ClientContext } from './lib/use-client.ts';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
let client: WorkbenchClient | null = null;
let failure: Error | null = null;
try {
  client = connect();
} catch (error) {
  failure = error as Error;
}

root.render(
  <StrictMode>
    <ErrorBoundary where="The workbench">
      {client ? (
        <ClientContext.Provider value={client}>
          <App />
        </ClientContext.Provider>
      ) : (
        <div className="error-panel" role="alert">
          <h2>Cannot reach the workbench</h2>
          <p>{failure?.message}</p>
        </div>
      )}
    </ErrorBoundary>
  </StrictMode>,
);
